import json
import subprocess
import sys

from tests.conftest import ROOT


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "gazetteer", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_geocode_json():
    out = run("geocode", "果园港", "--json")
    assert out.returncode == 0
    record = json.loads(out.stdout)
    for key in ("query", "name", "lon", "lat", "kind", "district", "adcode", "precision_m",
                "source", "confidence", "candidates"):
        assert key in record
    assert record["name"] == "果园港" and record["district"] == "两江新区"
    assert record["resolved"] is True


def test_geocode_unresolved_and_ambiguous_exit_1():
    out = run("geocode", "不存在的地方", "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["resolved"] is False
    out = run("geocode", "复兴", "--json")
    record = json.loads(out.stdout)
    assert out.returncode == 1 and record["status"] == "ambiguous" and len(record["candidates"]) >= 3
    out = run("geocode", "复兴", "--district", "两江新区", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["district"] == "两江新区"


def test_batch_one_object_per_line():
    out = run("batch", "-", stdin="礼嘉\n\n江北国际机场\nxyz\n")
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["query"] for r in records] == ["礼嘉", "江北国际机场", "xyz"]
    assert [r["resolved"] for r in records] == [True, True, False]


def test_scan_reports_offsets(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("加快果园港建设，推动礼嘉发展。", encoding="utf-8")
    out = run("scan", str(f))
    mentions = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(m["text"], m["start"], m["end"]) for m in mentions] == [("果园港", 2, 5), ("礼嘉", 10, 12)]
    assert all(m["lon"] and m["district"] for m in mentions)


def test_missing_file_is_a_clear_error():
    out = run("scan", "/nonexistent/plan.txt")
    assert out.returncode == 2 and "错误" in out.stderr


def test_check_passes_on_shipped_data():
    out = run("check")
    assert out.returncode == 0, out.stderr
    assert "通过" in out.stdout


def test_check_finds_bad_rows():
    from gazetteer.check import check_places
    from gazetteer.places import Place

    bad = [
        Place("x1", "错区地点", (), "area", "两江新区", "50LJ00", 108.40, 30.80, 1000, "recall",
              licence="none (recalled coordinate)"),
        Place("x2", "无来源", (), "area", "万州区", "500101", 108.40, 30.80, 0, ""),
        Place("x3", "成都某地", (), "area", "万州区", "500101", 104.07, 30.57, 100, "x"),
        Place("x4", "重名", (), "area", "万州区", "500101", 108.40, 30.80, 100, "x"),
        Place("x5", "重名", (), "bogus", "万州区", "500101", 108.40, 30.80, 100, "x"),
    ]
    problems = "\n".join(check_places(bad))
    assert "点落在万州区" in problems           # claims 两江新区, lies in 万州区
    assert "缺少来源" in problems and "精度" in problems
    unlicensed = [m for m in check_places(bad) if "缺少许可" in m]
    assert any("无来源" in m for m in unlicensed)          # x2 has no licence …
    assert not any("错区地点" in m for m in unlicensed)   # … x1 has one
    assert "不在重庆市范围内" in problems
    assert "重复" in problems and "未知类型" in problems
