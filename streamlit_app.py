"""规划项目地图 — the app's entry: its pages (app_pages/). Each page calls
``app_pages.common.page_frame()`` for what they share and wires its widgets to ``layers``."""

import streamlit as st

st.set_page_config(page_title="规划项目地图", layout="wide", page_icon="🗺️")
# No page icons: an emoji needs a colour-emoji font the machine may lack (an empty box), and
# Streamlit's Material icon font held the first paint back by ~0.7 s (benchmarks/app.py)
st.navigation([st.Page("app_pages/map.py", title="地图", default=True),
               st.Page("app_pages/notes.py", title="标注"),
               st.Page("app_pages/review.py", title="审核"),
               st.Page("app_pages/documents.py", title="文档")]).run()
