"""Places and geometry of a project: the places its name (or description) cites, and the
point, line or area drawn from them, with its status and precision.
"""

from __future__ import annotations

from shapely.geometry import LineString, MultiPoint, Point
from shapely.ops import unary_union

from gazetteer.outside import outside_at_end, outside_at_start
from gazetteer.shapes import shape_of
from geo.boundaries import municipality
from geo.crs import buffer_m
from layers.ingest.model import PlaceRef, Project

# --------------------------------------------------------------------------- places, geometry
from layers.ingest.names import (
    AREA_SUFFIXES,
    WHOLE_AREA_ENDINGS,
    WHOLE_AREA_KINDS,
    name_patterns,
    strip_phase,
)
from layers.ingest.rules import starts_with_verb

# Names and descriptions recur across plans and runs: scan each text once. The key is the
# gazetteer's index, which lives as long as the process for its data folder.
_MENTION_CACHE: dict = {}


def mentions_in(gazetteer, text: str, district: str | None = None):
    """Places in ``text``; a name several districts share prefers ``district`` (the plan's)."""
    key = (id(gazetteer.index), text, district)
    hit = _MENTION_CACHE.get(key)
    if hit is None:
        if len(_MENTION_CACHE) > 50_000:
            _MENTION_CACHE.clear()
        hit = _MENTION_CACHE[key] = gazetteer.find_places(text, district=district)
    return hit


def plan_district(gazetteer, doc) -> str | None:
    """The district a plan is about, when its title names one (重庆两江新区…纲要 → 两江新区):
    the context for names several districts share. A city-wide plan has none."""
    for m in mentions_in(gazetteer, doc.title):
        place = gazetteer.place(m.place_id) if m.place_id and m.status == "auto" else None
        if place is not None and place.kind == "district":
            return place.district
    return None


def _place_refs(gazetteer, mentions) -> list[PlaceRef]:
    refs: dict[str, PlaceRef] = {}
    for m in mentions:
        key = m.place_id or m.text
        ref = refs.get(key)
        if ref is not None:
            if m.text not in ref.texts:
                ref.texts += (m.text,)
            continue
        place = gazetteer.place(m.place_id) if m.place_id else None
        refs[key] = PlaceRef(m.place_id, m.name, m.text, m.status, m.confidence,
                             place.precision_m if place else None, m.candidates, (m.text,),
                             bool(place and place.unverified))
    return list(refs.values())


def locate(project: Project, name_mentions, description_mentions, gazetteer,
           description: str = "", name: str = "") -> None:
    """Set the project's places, geometry, precision, status and reason; ``name`` is the
    name the mentions were found in (the project's, unless its asides were left out)."""
    name = name or project.name
    # The places listed are those of the name and of its own description; the geometry is
    # made from the name's places when it has located ones (礼嘉智慧公园 locates itself).
    name_located = any(m.place_id and m.status in ("auto", "review") for m in name_mentions)
    mentions = name_mentions if name_located else description_mentions
    # 共同探索在两江新区打造万州企业研发基地: "在 X" before the action says where the work is,
    # whatever place its name carries (万州 is whom it serves)
    sited = [m for m in description_mentions if m.place_id and m.status == "auto"
             and description[:m.start].endswith("在") and starts_with_verb(description[m.end:])]
    if sited:
        mentions = sited
    elif name_located and description_mentions and _only_districts(gazetteer, name_mentions):
        # 两江智能制造创新中心 under 龙盛新城：a place in the description inside the name's
        # district says where in it
        districts = {gazetteer.place(m.place_id).district for m in name_mentions
                     if m.place_id and m.status in ("auto", "review")}
        inside = [m for m in description_mentions if m.place_id and m.status == "auto"
                  and gazetteer.place(m.place_id).kind != "district"
                  and gazetteer.place(m.place_id).district in districts]
        mentions = inside or mentions
    refs = _place_refs(gazetteer, mentions)
    project.places = refs_all = _place_refs(gazetteer, [*name_mentions, *description_mentions])
    located = [r for r in refs if r.place_id and r.status in ("auto", "review")]
    places = {r.place_id: gazetteer.place(r.place_id) for r in located}
    linear_work = strip_phase(name).endswith(name_patterns()["linear"])
    # A river, rail line or region named only in the description is context (沿长江…,
    # 主城都市区…), not the project's site; a line in the name of a work that does not run
    # along it lends only its name (长江音乐厅).
    located = [r for r in located if not _extended(places[r.place_id]) or (
        name_located and (linear_work or places[r.place_id].geometry != "line"))]
    specific = [r for r in located if places[r.place_id].kind != "district"]
    points = [r for r in specific if not _extended(places[r.place_id])]
    used = points or specific or located
    area_work = strip_phase(name).endswith(AREA_SUFFIXES)
    if not name_located and not sited and len(specific) >= 2 and not (area_work or linear_work):
        # one site (…研发中心) whose description names several places: which one is unknown
        project.places = refs_all
        project.located_by, project.geometry, project.geometry_kind = [], None, "none"
        project.status = "unlocated"
        project.reason = "描述提到多处地点，无法确定位置：" + "、".join(r.text for r in specific)
        return
    project.located_by = [r.place_id for r in used]
    if not used:
        unlocated = [r.text for r in project.places if r.status == "unlocated"]
        project.geometry, project.geometry_kind, project.status = None, "none", "unlocated"
        project.reason = ("地名库中无坐标：" + "、".join(unlocated)) if unlocated else \
            "名称和描述中没有可定位的地名"
        return
    review = any(r.status == "review" for r in used)
    reason = ""
    pts = [Point(places[r.place_id].lon, places[r.place_id].lat) for r in used]
    precision = max(places[r.place_id].precision_m or 0 for r in used) or None
    # a block or zone named by its ends (巫溪—宣汉区块) is an area, not a route
    route = None if area_work else _route_places(name, name_mentions)
    if not area_work and (route is None or any(r.place_id not in places for r in route)):
        # 涪陵—白涛—武隆: a stop the scan leaves (a town's bare stem) resolves as a whole token
        stops = _route_by_tokens(gazetteer, name, name_mentions)
        if stops is not None:
            route = stops
            places.update({r.place_id: gazetteer.place(r.place_id) for r in stops})
            known = {r.place_id for r in project.places}
            project.places += [r for r in stops if r.place_id not in known]
    leaving = None if area_work or route is not None and all(r.place_id in places for r in route) \
        else _leaving_route(gazetteer, name, name_mentions)
    project.schematic = False
    if not points and any(_extended(places[r.place_id]) for r in used):
        # Only lines or regions: the project follows the real shape (15号线二期 along the
        # metro line, a 主城都市区 programme over its districts).
        shapes = [shape_of(places[r.place_id]) for r in used]
        project.geometry = shapes[0] if len(shapes) == 1 else unary_union(shapes)
        project.geometry_kind = "line" if all(
            places[r.place_id].geometry == "line" for r in used) else "area"
        regions = [r.text for r in used if places[r.place_id].kind == "region"]
        if regions:
            review = True  # known only as "somewhere in 渝东北": a planner should place it
            reason = "仅知所在区域：" + "、".join(regions)
    elif leaving is not None:
        # a route that leaves the city: drawn through its stops up to the city's boundary,
        # its outside ends named (成达万, 万州—开州—安康)
        stops, outside = leaving
        project.geometry = LineString(stops).intersection(municipality().geometry)
        project.geometry_kind, project.schematic = "line", True
        project.partial, project.outside = True, outside
        reason = "线路延伸至市外，画至市界：" + "、".join(outside)
    elif route is not None:
        route_used = [r for r in route if r.place_id in places]
        if len(route_used) >= 2 and len(route_used) == len(route):
            project.geometry = LineString(
                [(places[r.place_id].lon, places[r.place_id].lat) for r in route_used])
            project.geometry_kind, project.schematic = "line", True
            project.located_by = list(dict.fromkeys(r.place_id for r in route_used))
        else:
            review = True
            reason = "线路端点未全部定位：" + "、".join(r.text for r in route
                                               if r.place_id not in places)
            project.geometry = pts[0] if len(pts) == 1 else MultiPoint(pts)
            project.geometry_kind = "point" if len(pts) == 1 else "multi"
    elif len(used) == 1:
        place = places[used[0].place_id]
        # an area-like work there, or the area itself (科研港 is a 片区, whatever its ending)
        whole = any(m.place_id == place.id and m.start == 0 and m.end == len(name)
                    for m in name_mentions)
        if whole and (place.kind in WHOLE_AREA_KINDS or place.name.endswith(WHOLE_AREA_ENDINGS)) \
                or strip_phase(name).endswith(AREA_SUFFIXES):
            if place.kind == "district":  # its own polygon (a former district's old one)
                project.geometry = shape_of(place)
            else:
                project.geometry = buffer_m(pts[0], place.precision_m or 1000)
            project.geometry_kind = "area"
        else:
            project.geometry, project.geometry_kind = pts[0], "point"
    elif area_work and all(places[r.place_id].kind == "district" for r in used):
        # a block over several districts (永川—荣昌区块): their polygons stand in for it
        project.geometry = unary_union([shape_of(places[r.place_id]) for r in used])
        project.geometry_kind = "area"
    else:
        project.geometry, project.geometry_kind = MultiPoint(pts), "multi"
    project.precision_m = precision
    project.status = "review" if review else "auto"
    if review and not reason:
        reason = "地名有歧义：" + "、".join(r.text for r in used if r.status == "review")
    project.reason = reason


def _only_districts(gazetteer, mentions) -> bool:
    located = [m for m in mentions if m.place_id and m.status in ("auto", "review")]
    return bool(located) and all(gazetteer.place(m.place_id).kind == "district" for m in located)


def _extended(place) -> bool:
    """A line or a region: a place that is not a site (districts have their own rule)."""
    return place.geometry != "point" and place.kind not in ("district", "municipality")


def _leaving_route(gazetteer, name: str, mentions) -> tuple[list[tuple[float, float]], list[str]] | None:
    """(stops in order, outside ends) of a route name some of whose stops lie outside the city
    (铜梁—安岳高速: 铜梁 in it, 安岳 in 四川); None when it is no such route. Each stop is the
    place touching its separator: a located mention of the city, else an outside seat."""
    seps = [m.start() for m in name_patterns()["route"].finditer(name)]
    if not seps:
        return None
    bounds = [-1, *seps, len(name)]
    tokens = [(bounds[k] + 1, bounds[k + 1]) for k in range(len(bounds) - 1)]
    located = [m for m in mentions if m.place_id and m.status in ("auto", "review")]
    stops, outside, inside = [], [], 0
    for k, (a, b) in enumerate(tokens):
        last = k == len(tokens) - 1
        if k == 0:  # the first stop ends at the first separator
            here = next((m for m in located if m.end == b and m.start >= a), None)
            far = None if here else outside_at_end(name[a:b])
        else:  # every later stop begins right after its separator
            here = next((m for m in located if m.start == a and (last or m.end <= b)), None)
            far = None if here else outside_at_start(name[a:b])
        if here is not None:
            point = gazetteer.place(here.place_id)
            stops.append((point.lon, point.lat))
            inside += 1
        elif far is not None:
            stops.append((far[0].lon, far[0].lat))
            outside.append(far[0].label)
        else:
            return None
    return (stops, outside) if outside and inside else None


def _route_by_tokens(gazetteer, name: str, mentions) -> list[PlaceRef] | None:
    """Places of a name that is only stops joined by separators (涪陵—白涛—武隆), each stop
    a located mention covering it or, failing that, the gazetteer's sure answer for it."""
    tokens = name_patterns()["route"].split(name)
    if len(tokens) < 2 or not all(tokens):
        return None
    stops, at = [], 0
    for token in tokens:
        start, end = name.index(token, at), name.index(token, at) + len(token)
        at = end
        hit = next((m for m in mentions if m.place_id and m.status in ("auto", "review")
                    and m.start == start and m.end == end), None)
        if hit is not None:
            stops.append(PlaceRef(hit.place_id, hit.name, hit.text, hit.status, hit.confidence))
            continue
        best = gazetteer.resolve(token, fuzzy=False).best
        if best is None or best.place is None or best.confidence < 0.9:
            return None
        if best.place.kind == "town" and (outside_at_start(token) or outside_at_end(token)):
            return None  # 秀山—来凤: the county over the border, not 璧山's 来凤街道
        stops.append(PlaceRef(best.place.id, best.place.name, token, "auto", best.confidence))
    return stops


def _route_places(name: str, mentions) -> list[PlaceRef] | None:
    """Places of a route name (合川—璧山—江津), in order, or None when it is no route."""
    link = name_patterns()["route_link"]
    ms = sorted(mentions, key=lambda m: m.start)
    if len(ms) < 2:
        return None
    chain = [ms[0]]
    for prev, cur in zip(ms, ms[1:], strict=False):
        if link.fullmatch(name[prev.end:cur.start]):
            chain.append(cur)
        elif len(chain) >= 2:
            break
        else:
            chain = [cur]
    if len(chain) < 2:
        return None
    return [PlaceRef(m.place_id if m.status in ("auto", "review") else None, m.name, m.text,
                     m.status, m.confidence) for m in chain]
