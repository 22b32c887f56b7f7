"""The map a view shows: which layer groups to draw and where to look, composed in one place
so the page only hands the result to streamlit-folium."""

from __future__ import annotations

from dataclasses import dataclass, field

from gazetteer.sources import registry_ids
from geo.city import CITY
from geo.crs import buffer_m
from geo.datum import convert
from layers.web import features, popups, webmap
from layers.web.basemaps import BASEMAPS
from layers.web.printmap import Sheet
from layers.web.state import VIEW_ZOOMS, format_view, parse_view


@dataclass
class MapView:
    groups: list = field(default_factory=list)  # folium FeatureGroups, bottom first
    center: tuple[float, float] | None = None  # lat, lon in ``datum``; None = keep the view
    zoom: int | None = None
    datum: str = "wgs84"  # the basemap's datum: every group is drawn in it
    unlocated_focus: dict | None = None  # the focused record, when it has no geometry


def compose_map(catalogue, state, selected, sectors, *, fixes=None, notes=None,
                notes_data: dict | None = None, show_places: bool = False,
                show_notes: bool = True, note_focus=None) -> MapView:
    """The groups and view of ``state`` on ``catalogue``:

    - districts, the visible ``sectors`` and the ``selected`` projects (chosen from
      ``catalogue.with_corrections(fixes)``), drawn from the layer files (a rerun sends ids
      only); places when ``show_places``;
    - planners' corrections (``fixes``, indexed by target) instead of the corrected records,
      and projects moved with a corrected place;
    - the annotations ``notes`` (drawn from ``notes_data``, their prepared layer) when
      ``show_notes``;
    - the searched or clicked record (``state.focus``) outlined with its popup open.

    The view fits the focused record, else the selection (``_selection_extent``; every
    sector when nothing in it is located); a view the planner panned to (``state.view``)
    stands over both, and an annotation chosen in the list (``note_focus``, its geometries)
    over all."""
    datum = BASEMAPS[state.basemap].datum
    view = MapView(datum=datum)
    shown = catalogue.with_corrections(fixes)  # ``selected`` comes from it
    fixed_places = set(fixes.index) & set(catalogue.places["id"]) if fixes is not None else set()
    # corrected projects: their own correction, or a place they were drawn from moved
    fixed_projects = set(selected.loc[selected["status"] == "corrected", "id"])
    view.groups = [
        webmap.layer_group(catalogue, "districts", datum),
        webmap.layer_group(catalogue, "sectors", datum, sectors["id"]),
        webmap.layer_group(catalogue, "projects", datum, set(selected["id"]) - fixed_projects)]
    if show_places:
        view.groups.append(webmap.layer_group(catalogue, "places", datum,
                                              set(catalogue.places["id"]) - fixed_places))
    if fixed_projects or fixed_places:
        view.groups.append(webmap.geojson_group("规划师更正", features.corrections_data(
            selected[selected["id"].isin(fixed_projects)],
            shown.places[shown.places["id"].isin(fixed_places)],  # shown even with places off
            catalogue.documents, datum), point_radius=8))
    if notes is not None and notes_data is not None and show_notes:
        view.groups.append(webmap.geojson_group(
            "规划师标注", features.subset(notes_data, notes["id"]), point_radius=7))
    focus = shown.focus_row(state.focus)
    focus_geometry = shown.focus_geometry(state.focus)
    if focus and focus_geometry is None:
        view.unlocated_focus = dict(focus[1])
    if focus_geometry is not None:
        popup = popups.focus_popup(*focus, catalogue.documents)
        view.groups.append(webmap.focus_layer(focus_geometry, popup, datum))
        # a point known to ±20 km is shown with that circle, not at street scale
        radius = features.uncertainty_m(focus_geometry, focus[1].get("precision_m"))
        fit = webmap.fit_view([buffer_m(focus_geometry, radius) if radius else focus_geometry],
                              datum)
    else:
        fit = webmap.fit_view(_selection_extent(catalogue, state, selected, sectors), datum) \
            or webmap.fit_view(list(sectors.geometry), datum)
    panned = parse_view(state.view, CITY.bbox, VIEW_ZOOMS) if state.view else None
    if panned:  # where the planner panned to (or a link's view) stands until the next pick
        lat, lon, zoom = panned
        fit = (lat, lon), zoom
    if note_focus is not None and len(note_focus):
        fit = webmap.fit_view(list(note_focus), datum) or fit
    if fit:
        view.center, view.zoom = fit
    return view


def _selection_extent(catalogue, state, selected, sectors) -> list:
    """What the view fits when nothing is focused: the chosen districts when the planner chose
    some (a railway through 万州 would otherwise widen 万州's view to its far end), else the
    located projects, with the sectors only when the planner chose some (the default shows
    every sector, which would pin the view to the city)."""
    if state.districts:
        districts = catalogue.districts
        return list(districts[districts["name"].isin(state.districts)].geometry)
    chosen = list(sectors.geometry) if state.structures or state.sectors else []
    return list(selected.geometry) + chosen


def moved_view(url_view: str, shown: tuple | None, last_url_view: str) -> str | None:
    """``url_view`` (the address's ``v``, which the map writes on every move) when it records a
    move of the planner's: None when it is unchanged since the last run (``last_url_view``:
    the map has not moved since, e.g. it has yet to follow a new fit), is where the page put
    the map (``shown``: centre, zoom and datum of the last run's ``MapView``), is where a new
    map opens, or is no view."""
    if not url_view or url_view == last_url_view or shown is None:
        return None
    parsed = parse_view(url_view, CITY.bbox, VIEW_ZOOMS)
    if parsed is None:
        return None
    center, zoom, datum = shown
    report = (parsed[0], parsed[1]), parsed[2]
    if webmap.same_view(report, (center, zoom)) or webmap.same_view(
            report, webmap.start_view(datum)):
        return None
    return format_view(*parsed)


def view_in_datum(view: str, source: str, target: str) -> str:
    """A view (``format_view``) read on a basemap of datum ``source`` as the same ground on one
    of datum ``target`` (a basemap switch between 高德 and the others)."""
    parsed = parse_view(view, CITY.bbox, VIEW_ZOOMS) if view else None
    if parsed is None or source == target:
        return view if parsed else ""
    lat, lon, zoom = parsed
    lon, lat = convert(lon, lat, source, target)
    return format_view(float(lat), float(lon), zoom)


def shown_extent(shown_view: MapView) -> tuple[float, float, float, float]:
    """The WGS84 lon/lat bounds the map shows, from its centre and zoom at the usual map size
    (the map is 620 px high; its width follows the page)."""
    if shown_view.center is None:  # the map's first view, WGS84
        return webmap.view_bounds(CITY.map_centre, webmap.START_ZOOM)
    minx, miny, maxx, maxy = webmap.view_bounds(shown_view.center, shown_view.zoom)
    minx, miny = webmap.to_storage(minx, miny, shown_view.datum)
    maxx, maxy = webmap.to_storage(maxx, maxy, shown_view.datum)
    return minx, miny, maxx, maxy


def print_sheet(catalogue, state, selected, sectors, extent, *, notes=None,
                made: str = "") -> Sheet:
    """The printed map of what the page shows: ``selected`` (from the corrected catalogue) and
    ``sectors`` within ``extent`` (``shown_extent``), the planners' ``notes`` when shown and
    the major places' names, titled with the filter in words, crediting the plans and the
    gazetteer sources of the places drawn or named."""
    located = selected[selected["status"] != "unlocated"]
    place_source = dict(zip(catalogue.places["id"], catalogue.places["source"], strict=True))
    cited = {place_source[p["id"]] for places in located["places"] for p in places
             if p.get("id") in place_source} | set(catalogue.major_places["source"])
    sources = set().union(*(registry_ids(s, place_source) for s in cited))
    doc_ids = {d for ds in selected["doc_ids"] for d in ds}
    subtitle = (f"{catalogue.describe(state)}　·　项目 {len(selected)} 个，"
                f"图上 {len(located)} 个（未定位 {len(selected) - len(located)} 个不在图上）")
    return Sheet(extent=extent, subtitle=subtitle, projects=located, sectors=sectors,
                 districts=catalogue.districts, notes=notes,
                 place_labels=catalogue.major_places,
                 documents=[t for d, t in catalogue.documents.items() if d in doc_ids],
                 sources=sorted(sources), made=made)


def review_map(catalogue, project, place_ids: list[str]):
    """The small map of the review page (审核): district outlines, the places the plan's
    names may be (each with its name), the project where it is now; (groups, centre, zoom).
    A click on it is where a planner puts the project."""
    import html

    import folium

    groups = [webmap.layer_group(catalogue, "districts", inert=True)]
    candidates = folium.FeatureGroup(name="候选地点")
    places = catalogue.places.set_index("id")
    shown = [places.loc[p] for p in place_ids if p in places.index]
    for place in shown:
        folium.CircleMarker((place.geometry.y, place.geometry.x), radius=7, color="#6a1b9a",
                            fill=True, fill_opacity=0.6,
                            tooltip=html.escape(f"{place['name']}（{place['district']}）")
                            ).add_to(candidates)
    groups.append(candidates)
    geometry = project.geometry
    if geometry is not None and not geometry.is_empty:
        groups.append(webmap.focus_layer(geometry, html.escape(project["name"])))
        anchor = geometry.representative_point()
        return groups, (anchor.y, anchor.x), 13
    if shown:
        return groups, (shown[0].geometry.y, shown[0].geometry.x), 12
    (lat, lon), zoom = webmap.start_view("wgs84")
    return groups, (lat, lon), zoom
