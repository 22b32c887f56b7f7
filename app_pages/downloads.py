"""The map page's downloads: GeoJSON of the selection and of each layer, and the printed map
(导出地图, PNG/PDF) rendered on request. Widgets only: the catalogue and printmap do the work."""

from __future__ import annotations

from functools import partial

import streamlit as st

from layers.schema import LAYER_LABELS, LAYER_NAMES
from layers.web.compose import print_sheet
from layers.web.mapfiles import download_links, download_url
from layers.web.popups import local_date
from layers.web.printmap import FORMATS, PrintError, render


def downloads(shown, state, selected, sectors, *, link: dict, revision: str, notes=None) -> None:
    """``shown``: the corrected catalogue; ``link``: the view's URL parameters and
    ``revision``: the annotation store's (a printed sheet stays offered while both hold);
    ``notes``: the annotations on the map, if shown."""
    ss = st.session_state
    st.subheader("下载 GeoJSON（WGS84）")
    # links made into files only when clicked (mapfiles.download_url): a download button sends
    # its whole file to the browser each time the page shows it
    today = local_date()
    ids = tuple(selected["id"])

    def link(label: str, what: str, make, filename: str) -> tuple[str, str, str]:
        return label, download_url((shown.token, what, ids if what == "view" else ()), make,
                                   filename), filename

    links = [link(f"当前筛选的项目（{len(ids)}）", "view",
                  lambda: shown.selection_geojson(shown.projects[shown.projects["id"].isin(ids)]),
                  f"projects-view-{today}.geojson")]
    links += [link(f"{LAYER_LABELS[name]}（全部）", name, partial(shown.layer_geojson, name),
                   f"{name}-{today}.geojson") for name in LAYER_NAMES]
    st.markdown(download_links(links), unsafe_allow_html=True)

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
