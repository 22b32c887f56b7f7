"""规划项目地图 — placeholder page until the map app issue lands; UI only."""

import streamlit as st

st.set_page_config(page_title="规划项目地图", layout="wide")
st.title("规划项目地图")
st.info("地图界面开发中。地名库已可通过命令行使用：python -m gazetteer geocode 果园港")
