"""Runs the app with its data loaded before the first visitor arrives, and the route that
serves the map's layer files.

    .venv/bin/python scripts/serve.py [APP.py] [--server.port 8501 ...]

APP.py defaults to the repository's streamlit_app.py; another copy (the browser tests run one
from a folder of their own) is given first. Options are Streamlit's config options, as
``streamlit run`` takes them.

Streamlit imports the page's modules and loads its data only when the first browser
connects, which makes that visitor wait seconds. This imports the pages' modules, loads the
shared catalogue (from the GeoPackage, or the newest version published to PostGIS) and makes
the map files first, then starts Streamlit's server (``st.App``) with
``/planmap/files/<name>``: every server answers for every map file
(``layers.web.mapfiles.map_file``), so servers behind a proxy need no shared folder for them;
the page's downloads are made there too, when clicked, by the server that showed the page.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def layers_url() -> str:
    from layers.web.settings import Settings

    return Settings.outside_the_app().layers_url


def current_catalogue():
    """The layers to serve: the current ones, or the last read while the database is away."""
    from layers.web.current import catalogue_or_last

    return catalogue_or_last(layers_url())[0]


def warm() -> None:
    # not streamlit_folium: it registers its component when imported, which only works once
    # the Streamlit runtime exists (imported here, its frontend is answered with 404)
    import app_pages.common  # noqa: F401  the pages' own modules (folium, pinyin…, ≈ 0.5 s):
    import app_pages.downloads  # noqa: F401  imported on the first visit otherwise
    from layers.published import LayersUnavailable
    from layers.web import mapfiles

    try:
        catalogue = current_catalogue()
    except LayersUnavailable as problem:  # the pages say so and recover once it is back
        print(f"图层暂时无法载入：{problem}", file=sys.stderr)
        return
    for layer in ("districts", "sectors", "projects"):
        mapfiles.layer_urls(catalogue, layer, "wgs84")  # makes the files the map fetches
    catalogue.search("果园港")  # builds the pinyin search index (≈ 0.3 s) now, not on a search


def routes() -> list:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route

    from layers.notes.model import AnnotationError
    from layers.published import LayersUnavailable
    from layers.web.mapfiles import (
        DOWNLOAD_NAME,
        FILES_ROUTE,
        attachment_header,
        download_file,
        map_file,
    )

    def said(message: str, status: int) -> Response:  # why there is no file, in Chinese
        return Response(message, status_code=status, media_type="text/plain; charset=utf-8")

    async def serve_map_file(request):
        name = request.path_params["name"]
        if DOWNLOAD_NAME.fullmatch(name):
            try:
                made = await run_in_threadpool(download_file, name)
            except (AnnotationError, LayersUnavailable) as problem:  # the store or layers away
                return said(f"暂时无法生成下载文件：{problem}", 503)
            if made is None:
                return said("下载链接已过期，请刷新页面后重新下载", 404)
            body, filename, media_type = made
            return Response(body, media_type=media_type,
                            headers={"Content-Disposition": attachment_header(filename),
                                     "Cache-Control": "no-store"})
        try:  # making a file takes up to a second: off the event loop
            body = await run_in_threadpool(map_file, name, current_catalogue)
        except LayersUnavailable as problem:
            return said(f"图层暂时无法载入：{problem}", 503)
        if body is None:
            return said("没有这个地图文件（图层已更新，请刷新页面）", 404)
        # named by content: a browser (or a proxy) may keep it for good
        return Response(body, media_type="application/json",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    return [Route(FILES_ROUTE + "/{name}", serve_map_file)]


def config_options(args: list[str]) -> dict:
    """``--server.port 8501 --server.headless true`` → {"server.port": 8501, …}."""
    options = {}
    while args:
        key = args.pop(0)
        if not key.startswith("--") or "." not in key:
            raise SystemExit(f"serve.py：不认识的参数 {key}（只接受 Streamlit 配置项，如 --server.port 8501）")
        if "=" in key:
            key, value = key.split("=", 1)
        elif args:
            value = args.pop(0)
        else:
            raise SystemExit(f"serve.py：{key} 缺少取值")
        options[key[2:]] = (int(value) if value.isdigit() else
                            {"true": True, "false": False}.get(value.lower(), value))
    return options


if __name__ == "__main__":
    args = sys.argv[1:]
    script = args.pop(0) if args and args[0].endswith(".py") else str(ROOT / "streamlit_app.py")
    options = config_options(args)
    warm()
    import streamlit as st

    sys.argv = [str(Path(script).resolve())]  # the folder whose .streamlit/ and static/ count
    st.App(script, routes=routes()).run(config=options)
