"""The map page's downloads: GeoJSON of the selection and of each layer, and the printed map
(导出地图, PNG/PDF) rendered on request. Widgets only: the catalogue and printmap do the work."""

from __future__ import annotations

import streamlit as st

from layers.schema import LAYER_LABELS, LAYER_NAMES
from layers.web.compose import print_sheet
from layers.web.popups import local_date
from layers.web.printmap import FORMATS, PrintError, render


def downloads(shown, state, selected, sectors, *, link: dict, revision: str, notes=None) -> None:
    """``shown``: the corrected catalogue; ``link``: the view's URL parameters and
    ``revision``: the annotation store's (a printed sheet stays offered while both hold);
    ``notes``: the annotations on the map, if shown."""
    ss = st.session_state
    st.subheader("下载 GeoJSON（WGS84）")
    # Data is built in the run, not deferred: a deferred download whose click meets a rerun (the
    # map sends its first value after mounting) can spin forever in Streamlit 1.67.
    today = local_date()
    dl = st.columns(len(LAYER_NAMES) + 1)
    dl[0].download_button(f"当前筛选的项目（{len(selected)}）",
                          data=shown.selection_geojson(selected),
                          file_name=f"projects-view-{today}.geojson",
                          mime="application/geo+json", key="dl-view", on_click="ignore")
    for col, name in zip(dl[1:], LAYER_NAMES, strict=True):
        col.download_button(f"{LAYER_LABELS[name]}（全部）", data=shown.layer_geojson(name),
                            file_name=f"{name}-{today}.geojson", mime="application/geo+json",
                            key=f"dl-{name}", on_click="ignore")

    st.subheader("导出地图（PNG / PDF）")
    st.caption("当前地图视野与筛选，A4 横向，含标题、图例、比例尺、指北针、制图日期和数据来源，"
               "可直接打印或发给与会者。")
    export_cols = st.columns([1, 1, 2])
    fmt = export_cols[0].radio("格式", list(FORMATS), format_func=str.upper, horizontal=True,
                               key="print_format", label_visibility="collapsed")
    # rendered on request (a sheet takes a few seconds), kept while the view and filters are these
    sheet_key = (fmt, repr(link), tuple(round(v, 5) for v in ss.get("map_extent", ())),
                 notes is not None, revision)
    if export_cols[1].button("生成地图", key="print_make", disabled="map_extent" not in ss):
        with st.spinner("正在生成地图…"):
            sheet = print_sheet(shown, state, selected, sectors, ss.map_extent, notes=notes,
                                made=local_date())
            try:
                ss.printout = (sheet_key, render(sheet, fmt))
            except PrintError as problem:
                ss.printout = None
                st.error(str(problem))
    printout = ss.get("printout")
    if printout and printout[0] == sheet_key:
        export_cols[2].download_button(
            f"下载 {fmt.upper()}（{len(printout[1]) / 1024:,.0f} KB）", data=printout[1],
            file_name=f"planmap-{local_date()}.{fmt}", mime=FORMATS[fmt], key="print_download",
            on_click="ignore", type="primary")
    elif printout:
        export_cols[2].caption("视野或筛选已改变：请重新生成。")
