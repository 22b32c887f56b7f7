"""Runs the app with its data loaded before the first visitor arrives.

    .venv/bin/python scripts/serve.py [APP.py] [streamlit run options...]

APP.py defaults to the repository's streamlit_app.py; another copy (the browser tests run one
from a folder of their own, whose static/ Streamlit serves) is given first.

Streamlit imports the page's modules and loads its data only when the first browser
connects, which makes that visitor wait seconds. This starts Streamlit in a process that has
already imported them and built the shared catalogue and map layers (the page then finds them
in memory), so the first visit is as fast as any other.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def warm() -> None:
    # not streamlit_folium: it registers its component when imported, which only works once
    # the Streamlit runtime exists (imported here, its frontend is answered with 404)
    from layers.web import mapfiles
    from layers.web.catalogue import default_catalogue

    catalogue = default_catalogue()
    for layer in ("districts", "sectors", "projects"):
        mapfiles.layer_urls(catalogue, layer, "wgs84")  # writes the files the map fetches
    for layer in catalogue.layers:
        catalogue.layer_geojson(layer)  # the download buttons' data
    catalogue.search("果园港")  # builds the pinyin search index (≈ 0.3 s) now, not on a search


if __name__ == "__main__":
    warm()
    from streamlit.web import cli

    args = sys.argv[1:]
    app = args.pop(0) if args and args[0].endswith(".py") else str(ROOT / "streamlit_app.py")
    sys.argv = ["streamlit", "run", app, *args]
    sys.exit(cli.main())
