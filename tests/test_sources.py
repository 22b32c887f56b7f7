import csv

import pytest

from gazetteer.normalise import pinyin_keys
from gazetteer.places import Place
from gazetteer.sources.towns import (
    adcode_points,
    apply_town_aliases,
    locate_towns,
    match_towns,
    read_geonames,
    read_nbs_towns,
    town_stem,
)


def _write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_read_nbs_towns_keeps_chongqing(tmp_path):
    path = _write(tmp_path / "streets.csv", ["code", "name", "areaCode", "provinceCode", "cityCode"], [
        ["110101001", "东华门街道", "110101", "11", "1101"],
        ["500106016", "虎溪街道", "500106", "50", "5001"],
    ])
    assert [r["name"] for r in read_nbs_towns(path)] == ["虎溪街道"]


def test_read_geonames_keeps_chongqing_with_chinese_names(tmp_path):
    import json

    path = tmp_path / "cities500.json"
    path.write_text(json.dumps({
        "1": {"name": "Huxi", "latitude": 29.60878, "longitude": 106.31312, "countrycode": "CN",
              "admin1code": "33", "alternatenames": ["Huxi", "hu xi", "虎溪", "虎溪镇"]},
        "2": {"name": "Chengdu", "latitude": 30.6, "longitude": 104.0, "countrycode": "CN",
              "admin1code": "32", "alternatenames": ["成都"]},
    }), encoding="utf-8")
    assert read_geonames(path) == [{"name": "Huxi", "lon": 106.31312, "lat": 29.60878,
                                    "zh": ["虎溪", "虎溪镇"]}]


def test_geonames_joins_by_chinese_name_before_pinyin():
    nbs = [_nbs("500106016", "虎溪街道", "500106")]
    geonames = [{"name": "Huxi", "zh": ["虎溪镇"], "lon": 106.31312, "lat": 29.60878},
                {"name": "Huxi", "zh": ["胡溪"], "lon": 106.36, "lat": 29.63}]  # same pinyin
    matched, reasons = match_towns(nbs, geonames)
    assert matched["500106016"]["lon"] == 106.31312 and not reasons


def test_stems_and_readings():
    assert town_stem("虎溪街道") == ("虎溪", "街道")
    assert town_stem("清水土家族乡") == ("清水", "乡")
    assert "huxi" in pinyin_keys("虎溪")
    assert {"zengjia", "cengjia"} <= pinyin_keys("曾家")  # heteronyms: every reading


def _nbs(code, name, area):
    return {"code": code, "name": name, "areaCode": area}


def test_geonames_match_requires_one_point_inside_the_district():
    nbs = [
        _nbs("500106016", "虎溪街道", "500106"),   # 沙坪坝: one Huxi inside → matched
        _nbs("500235001", "双江街道", "500235"),   # 云阳: its Shuangjiang lies in 潼南 → rejected
        _nbs("500152001", "龙兴镇", "500152"),     # two Longxing points in the district → rejected
    ]
    geonames = [
        {"name": "Huxi", "lon": 106.31312, "lat": 29.60878},        # 沙坪坝
        {"name": "Huxi", "lon": 108.40, "lat": 30.80},              # the other Huxi: 万州
        {"name": "Shuangjiang", "lon": 105.78, "lat": 30.14},        # 潼南
        {"name": "Longxing", "lon": 105.80, "lat": 30.15},           # 潼南
        {"name": "Longxing", "lon": 105.85, "lat": 30.20},           # 潼南
    ]
    places, unmatched = locate_towns(nbs, {}, geonames)
    assert [(p.name, p.district, p.lon) for p in places] == [("虎溪街道", "沙坪坝区", 106.31312)]
    assert places[0].precision_m == 2000 and places[0].source == "geonames-cities500"
    assert "CC BY" in places[0].licence
    reasons = {u["name"]: u["reason"] for u in unmatched}
    assert "没有同名（或同拼音）" in reasons["双江街道"]
    assert "2 个同拼音" in reasons["龙兴镇"]


def test_one_point_claimed_by_two_towns_is_rejected():
    nbs = [_nbs("1", "石门镇", "500106"), _nbs("2", "时门镇", "500106")]
    geonames = [{"name": "Shimen", "lon": 106.31, "lat": 29.60}]
    matched, reasons = match_towns(nbs, geonames)
    assert matched == {} and len(reasons) == 2


def _adcode_row(code, name, county, lon, lat, level="town"):
    return {"code": code, "name": name, "county": county, "level": level,
            "longitude": str(lon), "latitude": str(lat), "parent": ""}


def test_amap_points_are_converted_and_keyed_by_district_short_name():
    from geo.datum import gcj02_to_wgs84

    rows = [_adcode_row("500228100000", "云龙镇人民政府", "梁平县", 107.8, 30.7),
            _adcode_row("500106016000", "虎溪街道办事处", "沙坪坝区", 106.31, 29.60),
            _adcode_row("500106020000", "虎溪镇", "沙坪坝区", 106.32, 29.61)]  # same stem twice
    points = adcode_points(rows, "town")
    lon, lat = gcj02_to_wgs84(107.8, 30.7)
    assert points[("梁平", "云龙")]["lon"] == round(float(lon), 6)  # 梁平县 is now 梁平区
    assert points[("梁平", "云龙")]["name"] == "云龙镇"
    assert ("沙坪坝", "虎溪") not in points  # two rows for one name: neither is trusted


def test_best_source_wins_and_the_others_are_its_checks():
    nbs = [_nbs("500106016", "虎溪街道", "500106")]
    amap = {("沙坪坝", "虎溪"): {"name": "虎溪街道", "code": "500106016000",
                              "lon": 106.3135, "lat": 29.6090}}
    geonames = [{"name": "Huxi", "lon": 106.31312, "lat": 29.60878}]
    [town], unmatched = locate_towns(nbs, amap, geonames)
    assert town.source == "adcode-vonng" and town.lon == 106.3135 and not unmatched
    assert town.checked_against.startswith("geonames-cities500: ")
    metres = int(town.checked_against.split(": ")[1].removesuffix(" m"))
    assert 30 < metres < 200


def test_a_point_outside_its_district_is_not_used():
    nbs = [_nbs("500106016", "虎溪街道", "500106")]
    amap = {("沙坪坝", "虎溪"): {"name": "虎溪街道", "code": "x", "lon": 108.40, "lat": 30.80}}
    places, unmatched = locate_towns(nbs, amap, [])
    assert places == [] and "不在本区县内" in unmatched[0]["reason"]


def _town(code, name):
    return Place(f"t-{code}", name, (), "town", "沙坪坝区", "500106", 106.31, 29.60, 2000, "x")


def test_town_aliases(tmp_path):
    path = _write(tmp_path / "a.csv", ["code", "name", "aliases", "reason"],
                  [["500106016", "虎溪街道", "虎溪", "plans say 虎溪"]])
    [t] = apply_town_aliases([_town("500106016", "虎溪街道")], path)
    assert t.aliases == ("虎溪",)
    with pytest.raises(ValueError, match="不是"):
        apply_town_aliases([_town("500106016", "悦来街道")], path)
    with pytest.raises(ValueError, match="没有坐标"):
        apply_town_aliases([], path)
