"""The house rules the layout promises, checked: module and page sizes, packages free of
Streamlit, one place for the storage CRS and the city, browser code as package files."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gazetteer", "geo", "layers")


def modules(*folders):
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_package_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in modules(*PACKAGES)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long


def test_no_page_file_over_300_lines():
    pages = [ROOT / "streamlit_app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    assert len(pages) >= 3
    long = {p.name: n for p in pages if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert not long, long


def test_packages_never_import_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in modules(*PACKAGES)
                 if imported(p) & {"streamlit", "streamlit_folium"}]
    assert not offenders, offenders


@pytest.mark.parametrize("literal, owner", [
    ('"EPSG:4326"', "geo/crs.py"),
    ('"500000"', None),  # the city's code comes from data/city.yaml
])
def test_one_place_for_the_storage_crs_and_the_city(literal, owner):
    found = [str(p.relative_to(ROOT)) for p in modules(*PACKAGES)
             if literal in p.read_text(encoding="utf-8")]
    assert found == ([owner] if owner else []), found


def test_layers_wings_hold_their_jobs():
    wings = {p.name for p in (ROOT / "layers").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {"ingest", "spatial", "notes", "web"} <= wings
    core = {p.stem for p in (ROOT / "layers").glob("*.py")}
    # beside build and export (the GeoPackage), the layers' PostGIS twin and its connection
    assert core == {"__init__", "__main__", "build", "export", "published", "postgis",
                    "schema"}, core


def test_browser_code_is_package_files_read_by_element_classes():
    from layers.web import elements

    static = ROOT / "layers" / "web" / "static"
    scripts = sorted(p.name for p in static.iterdir())
    assert {"fetched_layer.js", "legend.js", "legend.css", "draw_locale_zh.js"} <= set(scripts)
    for name in scripts:
        assert elements.asset_text(name) == (static / name).read_text(encoding="utf-8")
    # no JavaScript kept as Python strings elsewhere in the web wing
    for path in modules("layers/web"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"function\s*\(", text.replace("planmapFetchedLayer(", "")), path
