"""Validation of the gazetteer data (``python -m gazetteer check``)."""

from __future__ import annotations

import math
from collections import defaultdict

from gazetteer.normalise import normalise
from gazetteer.places import GEOMETRIES, KINDS, Place
from geo.boundaries import district_at, municipality
from geo.city import CITY


def check_places(places: list[Place]) -> list[str]:
    """Every problem found, one message each (empty: the data is sound)."""
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    city = municipality()
    for p in places:
        where = f"{p.file} {p.name}"
        if p.id in seen_ids:
            problems.append(f"{where}: id {p.id} 重复（另见 {seen_ids[p.id]}）")
        seen_ids[p.id] = p.file
        if p.kind not in KINDS:
            problems.append(f"{where}: 未知类型 {p.kind!r}")
        if not p.source:
            problems.append(f"{where}: 缺少来源 source")
        if not p.licence:
            problems.append(f"{where}: 缺少许可 licence")
        if not (p.precision_m > 0 and math.isfinite(p.precision_m)):
            problems.append(f"{where}: 精度 precision_m 必须是正数")
        if not (math.isfinite(p.lon) and math.isfinite(p.lat)):
            problems.append(f"{where}: 坐标无效")
            continue
        if p.geometry not in GEOMETRIES:
            problems.append(f"{where}: 未知几何类型 {p.geometry!r}")
        elif p.geometry != "point" and p.kind not in ("district", "municipality"):
            from gazetteer.shapes import load_shapes

            if p.id not in load_shapes():
                problems.append(f"{where}: {p.geometry} 类地名在 shapes.geojson 中没有形状")
        if p.kind == "municipality" or p.adcode == city.adcode:
            if p.adcode != city.adcode or not city.geometry.contains(_point(p)):
                problems.append(f"{where}: 点不在{CITY.name}范围内")
            continue
        found = district_at(p.lon, p.lat)
        if found is None:
            problems.append(f"{where}: 点 ({p.lon}, {p.lat}) 不在{CITY.name}范围内")
        elif found.name != p.district or found.adcode != p.adcode:
            problems.append(
                f"{where}: 点落在{found.name}（{found.adcode}），但数据写的是"
                f"{p.district}（{p.adcode}）"
            )
    problems.extend(_duplicates(places))
    return problems


def _point(p: Place):
    from shapely.geometry import Point

    return Point(p.lon, p.lat)


def _duplicates(places: list[Place]) -> list[str]:
    """A name may repeat across districts (district= tells them apart), not within one."""
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for p in places:
        labels[p.id] = f"{p.file} {p.name}"
        for n in p.names:
            owners[(normalise(n), p.adcode)].add(p.id)
    problems = []
    for (key, adcode), ids in sorted(owners.items()):
        if len(ids) > 1:
            rows = "；".join(labels[i] for i in sorted(ids))
            problems.append(f"同一区县（{adcode}）内名称“{key}”重复，无法区分：{rows}")
    return problems
