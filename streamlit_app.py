"""规划项目地图 — the app's entry: its pages (app_pages/). Each page calls
``app_pages.common.page_frame()`` for what they share and wires its widgets to ``layers``."""

import streamlit as st

st.set_page_config(page_title="规划项目地图", layout="wide", page_icon="🗺️")
# Material icons: Streamlit serves their font itself (an emoji needs a colour-emoji font the
# machine may lack, and showed as an empty box)
st.navigation([st.Page("app_pages/map.py", title="地图", icon=":material/map:", default=True),
               st.Page("app_pages/notes.py", title="标注", icon=":material/edit_note:")]).run()
