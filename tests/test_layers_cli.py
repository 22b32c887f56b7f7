"""``python -m layers build`` and ``export``: GeoPackage in, RFC 7946 GeoJSON out."""

import json

import geopandas as gpd
import pytest

from layers.__main__ import main
from layers.export import read_gpkg
from layers.ingest.readers import PLANS_DIR

REQUIRED = {"id", "name", "doc_ids", "sections", "category", "excerpt", "places",
            "geometry_kind", "status"}


def ring_area(ring):
    """Shoelace: positive for counter-clockwise rings."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def coords_of(geometry):
    def walk(c):
        if isinstance(c[0], (int, float)):
            yield c
        else:
            for x in c:
                yield from walk(x)
    yield from walk(geometry["coordinates"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "layers.gpkg"
    plans = [str(PLANS_DIR / "001_7b9a8881637c2cd9.txt"), str(PLANS_DIR / "003_5b117a5749a753be.txt")]
    assert main(["build", *plans, "--out", str(out)]) == 0
    return out


def test_build_writes_projects_with_lists_restored(built):
    frame = read_gpkg(built, "projects")
    assert len(frame) > 300
    assert set(frame["doc_ids"].explode()) == {"lj10", "cq14"}
    row = frame[frame["name"] == "果园港枢纽港建设工程"].iloc[0]
    assert row["doc_ids"] == ["lj10"] and row["places"][0]["texts"][0] == "果园港"
    assert frame["geometry"].isna().sum() == (frame["status"] == "unlocated").sum()


def test_export_is_rfc7946_geojson(built, tmp_path, capsys):
    out = tmp_path / "projects.geojson"
    assert main(["export", "--layer", "projects", "--from", str(built), "--out", str(out)]) == 0
    raw = out.read_text(encoding="utf-8")
    assert "果园港" in raw and "\\u" not in raw  # UTF-8, not escapes
    data = json.loads(raw)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    for f in data["features"]:
        assert set(f["properties"]) >= REQUIRED and f["id"] == f["properties"]["id"]
        g = f["geometry"]
        if g is None:
            assert f["properties"]["status"] == "unlocated"
            continue
        for x, y in coords_of(g):
            assert 105 < x < 111 and 28 < y < 33
            assert len(repr(x).split(".")[-1]) <= 7 and len(repr(y).split(".")[-1]) <= 7
        if g["type"] == "Polygon":
            assert ring_area(g["coordinates"][0]) > 0  # right-hand rule: exterior CCW
    back = gpd.read_file(out)
    assert len(back) == len(data["features"]) and back.crs.to_epsg() == 4326
    assert "已导出 projects" in capsys.readouterr().out


def test_cli_errors_are_clear(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "找不到规划文件" in capsys.readouterr().err
    assert main(["export", "--layer", "projects", "--from", str(tmp_path / "none.gpkg"),
                 "--out", str(tmp_path / "o.geojson")]) == 2
    assert "找不到图层文件" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--layer", "nonsense", "--out", str(tmp_path / "o.geojson")])


def test_default_build_is_rebuilt_when_an_input_is_newer(tmp_path, monkeypatch):
    import os

    import layers.build as lb

    out = tmp_path / "layers.gpkg"
    plan = tmp_path / "plan.txt"
    plan.write_text("第一章 总则\n推动果园港重大件码头、寸滩邮轮母港等项目建设。\n", encoding="utf-8")
    monkeypatch.setattr(lb, "LAYERS_FILE", out)
    monkeypatch.setattr(lb, "all_plan_files", lambda: [plan])
    assert lb.is_stale(out)
    frame = lb.load_layer("projects", out)
    assert set(frame["name"]) == {"果园港重大件码头", "寸滩邮轮母港"}
    assert not lb.is_stale(out)
    later = out.stat().st_mtime + 10
    plan.write_text("第一章 总则\n推动礼嘉嘉陵江大桥、龙兴隧道等项目建设。\n", encoding="utf-8")
    os.utime(plan, (later, later))
    assert lb.is_stale(out)
    assert set(lb.load_layer("projects", out)["name"]) == {"礼嘉嘉陵江大桥", "龙兴隧道"}
    with pytest.raises(ValueError, match="未知图层"):
        lb.load_layer("nonsense", out)


def test_export_all_layers_valid_with_ids_and_sources(tmp_path, capsys):
    import geojson

    folder = tmp_path / "all"
    assert main(["export", "--layer", "all", "--out", str(folder)]) == 0
    for layer in ("places", "projects", "sectors", "districts"):
        raw = (folder / f"{layer}.geojson").read_text(encoding="utf-8")
        data = geojson.loads(raw)
        assert data.is_valid, (layer, data.errors())
        assert data["coordinate_system"].startswith("WGS84")
        ids = [f["id"] for f in data["features"]]
        assert len(ids) == len(set(ids)) and all(ids), layer
        assert all(f["properties"]["source"] for f in data["features"]), layer
        for f in data["features"]:
            g = f["geometry"]
            if g and g["type"] in ("Polygon", "MultiPolygon"):
                rings = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
                assert all(ring_area(poly[0]) > 0 for poly in rings), (layer, f["id"])
        back = gpd.read_file(folder / f"{layer}.geojson")
        assert len(back) == len(data["features"]) and back.crs.to_epsg() == 4326
        assert back.geometry.dropna().is_valid.all(), layer
    sectors = json.loads((folder / "sectors.geojson").read_text(encoding="utf-8"))
    core = next(f for f in sectors["features"] if f["properties"]["name"] == "城市发展核")
    assert core["properties"]["element"] == "一核" and core["properties"]["schematic"] is False
    assert "已导出 places" in capsys.readouterr().out


def test_gcj02_copy_is_shifted_and_labelled(tmp_path):
    from geo.crs import distance_m
    from geo.datum import wgs84_to_gcj02

    wgs, gcj = tmp_path / "wgs.geojson", tmp_path / "gcj.geojson"
    assert main(["export", "--layer", "places", "--out", str(wgs)]) == 0
    assert main(["export", "--layer", "places", "--crs", "gcj02", "--out", str(gcj)]) == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (wgs, gcj))
    assert "GCJ-02" in b["coordinate_system"] and "不是 WGS84" in b["coordinate_system"]
    pa = {f["id"]: f["geometry"]["coordinates"] for f in a["features"]}
    pb = {f["id"]: f["geometry"]["coordinates"] for f in b["features"]}
    (lon, lat), (glon, glat) = pa["c-guoyuangang"], pb["c-guoyuangang"]
    assert (glon, glat) == pytest.approx(wgs84_to_gcj02(lon, lat), abs=1e-6)
    assert 200 < distance_m(lon, lat, glon, glat) < 800  # Chongqing's offset is a few hundred m


def test_export_geopackage_of_every_layer(tmp_path):
    import pyogrio

    out = tmp_path / "all.gpkg"
    assert main(["export", "--layer", "all", "--format", "gpkg", "--out", str(out)]) == 0
    assert {name for name, _ in pyogrio.list_layers(out)} == {
        "places", "projects", "sectors", "districts"}
    sectors = read_gpkg(out, "sectors")
    belt = sectors[sectors["name"] == "长江绿色开放带"].iloc[0]
    assert belt["members"][0]["text"] == "长江" and belt.geometry.geom_type in (
        "Polygon", "MultiPolygon")
    projects = read_gpkg(out, "projects")
    assert any(s["name"] == "城市发展核" for entries in projects["sectors"] for s in entries)


def test_only_data_and_ingest_spatial_code_make_the_build_stale(tmp_path, monkeypatch):
    """Editing a popup or the password code never forces a rebuild; editing extraction does."""
    import os

    import layers.build as lb

    root = lb.REPO_DIR
    out = tmp_path / "layers.gpkg"
    out.write_bytes(b"built")
    monkeypatch.setattr(lb, "all_plan_files", lambda: [])
    not_inputs = [*sorted((root / "layers" / "web").rglob("*")),
                  *sorted((root / "layers" / "notes").rglob("*.py")), root / "streamlit_app.py"]
    inputs = [root / "layers" / "ingest" / "projects.py", root / "layers" / "spatial" / "sectors.py",
              root / "gazetteer" / "core.py", root / "data" / "ingest" / "rules.yaml"]
    built = out.stat().st_mtime
    later = built + 100
    kept = {p: (p.stat().st_atime, p.stat().st_mtime) for p in not_inputs + inputs if p.is_file()}
    try:
        assert not lb.is_stale(out)
        for path in not_inputs:
            if path.is_file():
                os.utime(path, (later, later))
        assert not lb.is_stale(out)
        for path in inputs:
            os.utime(path, (later, later))
            assert lb.is_stale(out), path
            os.utime(path, kept[path])
    finally:
        for path, times in kept.items():
            os.utime(path, times)
