import csv

import pytest

from gazetteer.normalise import pinyin_keys
from gazetteer.places import Place
from gazetteer.sources import (
    apply_town_aliases,
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
        ["500112019", "礼嘉街道", "500112", "50", "5001"],
    ])
    assert [r["name"] for r in read_nbs_towns(path)] == ["礼嘉街道"]


def test_read_geonames_keeps_chongqing(tmp_path):
    path = _write(tmp_path / "rg.csv", ["lat", "lon", "name", "admin1", "admin2", "cc"], [
        ["29.67878", "106.49312", "Lijia", "Chongqing Shi", "", "CN"],
        ["30.6", "104.0", "Chengdu", "Sichuan", "", "CN"],
    ])
    assert read_geonames(path) == [{"name": "Lijia", "lon": 106.49312, "lat": 29.67878}]


def test_stems_and_readings():
    assert town_stem("礼嘉街道") == ("礼嘉", "街道")
    assert town_stem("清水土家族乡") == ("清水", "乡")
    assert "lijia" in pinyin_keys("礼嘉")
    assert {"zengjia", "cengjia"} <= pinyin_keys("曾家")  # heteronyms: every reading


def _nbs(code, name, area):
    return {"code": code, "name": name, "areaCode": area}


def test_match_requires_one_point_inside_the_district():
    nbs = [
        _nbs("500112019", "礼嘉街道", "500112"),   # 渝北: one Lijia inside → matched
        _nbs("500235001", "双江街道", "500235"),   # 云阳: its Shuangjiang lies in 潼南 → rejected
        _nbs("500152001", "龙兴镇", "500152"),     # two Longxing points in the district → rejected
    ]
    geonames = [
        {"name": "Lijia", "lon": 106.49312, "lat": 29.67878},        # 渝北
        {"name": "Lijia", "lon": 108.40, "lat": 30.80},              # the other Lijia: 万州
        {"name": "Shuangjiang", "lon": 105.78, "lat": 30.14},        # 潼南
        {"name": "Longxing", "lon": 105.80, "lat": 30.15},           # 潼南
        {"name": "Longxing", "lon": 105.85, "lat": 30.20},           # 潼南
    ]
    places, unmatched = match_towns(nbs, geonames)
    assert [(p.name, p.district, p.lon) for p in places] == [("礼嘉街道", "渝北区", 106.49312)]
    assert places[0].precision_m == 2000 and "GeoNames" in places[0].source
    reasons = {u["name"]: u["reason"] for u in unmatched}
    assert "没有同拼音" in reasons["双江街道"]
    assert "2 个同拼音" in reasons["龙兴镇"]


def test_one_point_claimed_by_two_towns_is_rejected():
    nbs = [_nbs("1", "石门镇", "500112"), _nbs("2", "时门镇", "500112")]
    geonames = [{"name": "Shimen", "lon": 106.49, "lat": 29.68}]
    places, unmatched = match_towns(nbs, geonames)
    assert places == [] and len(unmatched) == 2


def _town(code, name):
    return Place(f"t-{code}", name, (), "town", "渝北区", "500112", 106.49, 29.68, 2000, "x")


def test_town_aliases(tmp_path):
    path = _write(tmp_path / "a.csv", ["code", "name", "aliases", "reason"],
                  [["500112019", "礼嘉街道", "礼嘉", "plans say 礼嘉"]])
    [t] = apply_town_aliases([_town("500112019", "礼嘉街道")], path)
    assert t.aliases == ("礼嘉",)
    with pytest.raises(ValueError, match="不是"):
        apply_town_aliases([_town("500112019", "悦来街道")], path)
    with pytest.raises(ValueError, match="没有坐标"):
        apply_town_aliases([], path)
