"""The current map as a sheet to hand out at a meeting: PNG or PDF, A4 landscape, with title,
legend, scale bar, north arrow, date and sources.

Rendered on the server with matplotlib (offline, no browser needed), drawn in the city's
metric CRS (``geo.crs.METRIC_CRS``) so the scale bar holds across the sheet. Styles are the
web map's (``layers.web.features``), so a printed project has the colour it has on screen.
Layout and fonts are data (``data/schema.yaml`` ``print``)."""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass, field

import geopandas as gpd
import shapely

from gazetteer.sources import registry
from geo.crs import METRIC_CRS, from_metric, to_metric
from layers.schema import (
    CATEGORY_COLOURS,
    COLOURS,
    DEFAULT_COLOUR,
    NOTE_STATUS_COLOURS,
    NOTE_STATUS_LABELS,
    PRINT,
    SECTOR_KIND_LABELS,
    SECTOR_STYLES,
    UNCERTAINTY,
    category_order,
)
from layers.web.features import project_styles, sector_styles, uncertainty_m

FORMATS = {"pdf": "application/pdf", "png": "image/png"}  # the first is the default


class PrintError(RuntimeError):
    """The sheet cannot be made here; the message says why and what to do."""


@dataclass
class Sheet:
    """What one printed map shows. Geometries are WGS84, as stored."""
    extent: tuple[float, float, float, float]  # lon/lat bounds the map must show
    subtitle: str = ""  # what the selection is, in the planner's words
    projects: gpd.GeoDataFrame | None = None  # the selection (unlocated rows are counted only)
    sectors: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    notes: gpd.GeoDataFrame | None = None  # planners' annotations, with ``status``
    place_labels: gpd.GeoDataFrame | None = None  # places to name, most important first
    documents: list[str] = field(default_factory=list)  # titles of the plans drawn from
    sources: list[str] = field(default_factory=list)  # gazetteer source ids of the places used
    made: str = ""  # the date printed on it, YYYY-MM-DD


def render(sheet: Sheet, fmt: str = "pdf") -> bytes:
    """``sheet`` as a PNG or PDF file."""
    if fmt not in FORMATS:
        raise PrintError(f"不支持的导出格式：{fmt}（可选：{'、'.join(FORMATS)}）")
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    # Type 42: the font is embedded as TrueType (subset), so the PDF's Chinese text can be
    # searched and copied; Type 3 glyphs cannot.
    with rc_context({"font.family": [chinese_font()], "pdf.fonttype": 42,
                     "axes.unicode_minus": False}):
        fig = Figure(figsize=PRINT["page_in"])
        _draw(fig, sheet)
        out = io.BytesIO()
        fig.savefig(out, format=fmt, dpi=PRINT["png_dpi"])
    return out.getvalue()


def chinese_font() -> str:
    """The first font of ``print.fonts`` installed here; PrintError if none is."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in PRINT["fonts"]:
        if name in installed:
            return name
    raise PrintError("没有可用的中文字体，无法导出地图。请安装 fonts-noto-cjk"
                     "（sudo apt-get install fonts-noto-cjk）后重启应用。")


def credits(source_ids) -> list[str]:
    """The printed credit of each source (``registry_ids``), once each: registry sources by
    their ``credit`` in registry order, then cited pages by ``print.cited_credits`` (the
    page's site) or their first word."""
    wanted = set(source_ids)
    lines = [src.credit or src.name for key, src in registry().items() if key in wanted]
    for page in sorted(wanted - set(registry())):
        site = page.split()[0]
        lines.append(PRINT["cited_credits"].get(site, site))
    return list(dict.fromkeys(lines))


# ----------------------------------------------------------------------------- drawing

def _metric(frame: gpd.GeoDataFrame | None, box, tolerance_m: float) -> gpd.GeoDataFrame | None:
    """``frame``'s rows that reach into ``box`` (WGS84), in the metric CRS, outlines simplified
    within ``tolerance_m`` (below what the sheet resolves; it keeps the PDF small)."""
    if frame is None or not len(frame):
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = frame[frame.geometry.intersects(box)]
    if not len(frame):
        return None
    frame = frame.to_crs(METRIC_CRS)
    return frame.set_geometry(frame.geometry.simplify(tolerance_m))


def _map_box(extent, aspect: float):
    """The metric (x0, y0, x1, y1) showing ``extent``, widened to the map frame's ``aspect``
    (width / height) around its centre."""
    minx, miny, maxx, maxy = extent
    xs, ys = to_metric([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = max(x1 - x0, 1000.0), max(y1 - y0, 1000.0)  # a lone point: a 1 km window at least
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def _km(metres: float) -> str:
    return f"{metres / 1000:g}" if metres >= 1000 else f"{metres:g}"


def _draw(fig, sheet: Sheet) -> None:
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, FancyArrow, Patch, Rectangle

    layout = PRINT["layout"]
    ax = fig.add_axes(layout["map"])
    page_w, page_h = PRINT["page_in"]
    left, bottom, width, height = layout["map"]
    aspect = (width * page_w) / (height * page_h)
    x0, y0, x1, y1 = _map_box(sheet.extent, aspect)
    lons, lats = from_metric([x0, x1, x0, x1], [y0, y0, y1, y1])
    box = shapely.box(min(lons), min(lats), max(lons), max(lats))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(PRINT["background"])
    handles = []
    tolerance = (x1 - x0) / PRINT["resolution_px"]

    district_style = COLOURS["district"]
    districts = _metric(sheet.districts, box, tolerance)
    if districts is not None:
        districts.plot(ax=ax, facecolor=district_style["fillColor"],
                       edgecolor=district_style["color"], linewidth=0.6, zorder=1)
        for _, row in districts.iterrows():
            at = row.geometry.representative_point()
            if x0 < at.x < x1 and y0 < at.y < y1:
                ax.text(at.x, at.y, row["short_name"] or row["name"], fontsize=7,
                        color=district_style["color"], ha="center", va="center", zorder=6,
                        alpha=0.9, parse_math=False)
        handles.append(Line2D([], [], color=district_style["color"], linewidth=0.8,
                              label="区县界线"))

    sectors = _metric(sheet.sectors, box, tolerance)
    if sectors is not None:
        # styled as on screen, stacking counted in lon/lat over the sheet's sectors
        by_row = dict(zip(sheet.sectors.index, sector_styles(sheet.sectors), strict=True))
        styles = [by_row[i] for i in sectors.index]
        sectors.plot(ax=ax, edgecolor="none", zorder=2, facecolor=[
            to_rgba(s["color"], s["fillOpacity"]) for s in styles])
        for dashed in (False, True):
            chosen = [("dashArray" in s) == dashed for s in styles]
            if any(chosen):
                sectors[chosen].boundary.plot(
                    ax=ax, zorder=2, linestyle="--" if dashed else "-",
                    color=[s["color"] for s, c in zip(styles, chosen, strict=True) if c],
                    linewidth=[s["weight"] * 0.5 for s, c in zip(styles, chosen, strict=True)
                               if c])
        for kind in dict.fromkeys(sectors["kind"]):
            style = SECTOR_STYLES.get(kind, SECTOR_STYLES["zone"])
            label = f"片区：{SECTOR_KIND_LABELS.get(kind, kind)}"
            if style["fillOpacity"]:
                handles.append(Patch(facecolor=style["color"], edgecolor=style["color"],
                                     alpha=max(style["fillOpacity"], .3), label=label))
            else:  # an axis: a line, not an area
                handles.append(Line2D([], [], color=style["color"], linestyle="--",
                                      linewidth=1.2, label=label))

    projects = _metric(sheet.projects, box, tolerance)
    circles = False  # whether any precision circle is drawn (then the legend explains them)
    if projects is not None:
        by_row = dict(zip(sheet.projects.index, project_styles(sheet.projects), strict=True))
        styles = [by_row[i] for i in projects.index]
        projects = projects.assign(colour=[s["color"] for s in styles],
                                   fill=[s.get("fillOpacity", 0.0) for s in styles])
        kinds = projects.geom_type
        areas = projects[kinds.isin(["Polygon", "MultiPolygon"])]
        if len(areas):
            areas.plot(ax=ax, zorder=3, edgecolor="none", facecolor=[
                to_rgba(c, f) for c, f in zip(areas["colour"], areas["fill"], strict=True)])
            areas.boundary.plot(ax=ax, color=list(areas["colour"]), linewidth=0.8,
                                linestyle="--", zorder=3)
        lines = projects[kinds.isin(["LineString", "MultiLineString"])]
        if len(lines):
            lines.plot(ax=ax, color=list(lines["colour"]), linewidth=1.6, zorder=4)
        points = projects[kinds.isin(["Point", "MultiPoint"])].explode(index_parts=False)
        # the precision circle as on screen: read off the stored (lon/lat) row, once per spot
        radius_of = {i: uncertainty_m(g, m) for i, g, m in zip(
            sheet.projects.index, sheet.projects.geometry, sheet.projects["precision_m"],
            strict=True)}
        drawn_circles = set()
        for i, point, colour in zip(points.index, points.geometry, points["colour"],
                                    strict=True):
            circle = (round(point.x), round(point.y), radius_of[i])
            if radius_of[i] and circle not in drawn_circles:
                drawn_circles.add(circle)
                ax.add_patch(Circle((point.x, point.y), radius_of[i], fill=False,
                                    edgecolor=colour, linewidth=0.5, linestyle=(0, (2, 3)),
                                    alpha=0.7, zorder=4))
        circles = bool(drawn_circles)
        if len(points):
            ax.scatter(points.geometry.x, points.geometry.y, s=18, c=list(points["colour"]),
                       edgecolors="white", linewidths=0.5, zorder=5)
        for category in sorted(set(projects["category"]), key=category_order):
            handles.append(Line2D([], [], marker="o", linestyle="", markersize=6,
                                  color=CATEGORY_COLOURS.get(category, DEFAULT_COLOUR),
                                  label=f"项目：{category}"))
        if circles:
            handles.append(Line2D([], [], marker="o", linestyle="", markersize=10,
                                  markerfacecolor="none", markeredgecolor="#555",
                                  markeredgewidth=0.6,
                                  label=f"虚线圆：位置精度（粗于 {UNCERTAINTY['exact_m']} 米）"))

    labels = _metric(sheet.place_labels, box, tolerance)
    if labels is not None:  # the most important first, as many as the sheet holds legibly
        for _, row in labels.head(PRINT["max_place_labels"]).iterrows():
            ax.text(row.geometry.x, row.geometry.y, row["name"], fontsize=6, color="#566573",
                    ha="center", va="bottom", zorder=6, parse_math=False,
                    bbox={"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 0.5})

    notes = _metric(sheet.notes, box, tolerance)
    if notes is not None:
        for status, group in notes.groupby("status", sort=False):
            colour = NOTE_STATUS_COLOURS.get(status, NOTE_STATUS_COLOURS["open"])
            group.plot(ax=ax, color=colour, alpha=0.6, markersize=30, marker="D",
                       linewidth=1.5, zorder=6)
            handles.append(Line2D([], [], marker="D", linestyle="", markersize=6, color=colour,
                                  label=f"规划师标注：{NOTE_STATUS_LABELS.get(status, status)}"))

    ax.set_xlabel("")  # geopandas labels the axes with the CRS's; the sheet has a scale bar
    ax.set_ylabel("")

    # ------------------------------------------------------------ title, legend, furniture
    # every text is printed as written: matplotlib would read "$…$" in a title as mathtext
    fig.text(layout["title"][0], layout["title"][1], PRINT["title"], fontsize=18,
             va="top", parse_math=False)
    if sheet.subtitle:
        fig.text(layout["subtitle"][0], layout["subtitle"][1],
                 "\n".join(textwrap.wrap(sheet.subtitle, PRINT["wrap_chars"])), fontsize=9,
                 va="top", color="#333", parse_math=False)
    legend_ax = fig.add_axes(layout["legend"])
    legend_ax.axis("off")
    legend = legend_ax.legend(handles=handles or [Patch(color="white", label="（无图层）")],
                              title="图例", loc="upper left", fontsize=7.5, title_fontsize=10,
                              frameon=False, alignment="left")
    for label in legend.get_texts():
        label.set_parse_math(False)

    _scale_bar(ax, x0, x1, y0, y1, Rectangle)
    _north_arrow(ax, x0, x1, y0, y1, FancyArrow)
    scale = (x1 - x0) / (width * page_w * 0.0254)
    footer = [f"制图日期：{sheet.made}　比例约 1:{_round_scale(scale):,}（A4 打印）　"
              f"坐标：WGS84 (EPSG:4326) 存储，{METRIC_CRS} 投影显示"]
    if sheet.documents:
        footer.append("规划文本：" + "；".join(sheet.documents))
    place_credits = credits(sheet.sources)
    base_credits = credits(PRINT["base_sources"])
    footer.append("数据来源：" + "；".join(dict.fromkeys(base_credits + place_credits)))
    footer.append(PRINT["caveat"])
    text = "\n".join(line for part in footer
                     for line in textwrap.wrap(part, PRINT["footer_wrap_chars"]))
    fig.text(layout["footer"][0], layout["footer"][1], text, fontsize=6.5, va="top",
             color="#333", linespacing=1.4, parse_math=False)


def _round_scale(scale: float) -> int:
    power = 10 ** max(0, math.floor(math.log10(scale)) - 1)
    return int(round(scale / power) * power)


def _scale_bar(ax, x0, x1, y0, y1, Rectangle) -> None:
    """Two alternating segments of a round length near a fifth of the map's width, lower left;
    the map is in a conformal metric CRS with scale error < 0.1 %, so one bar holds."""
    length = _nice_length((x1 - x0) / 5)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    ax.add_patch(Rectangle((bx - h, by - 1.2 * h), length + 2 * h, 5.2 * h, facecolor="white",
                           edgecolor="none", alpha=0.8, zorder=7))
    for n in range(2):
        ax.add_patch(Rectangle((bx + n * length / 2, by), length / 2, h, zorder=8,
                               facecolor="black" if n == 0 else "white", edgecolor="black",
                               linewidth=0.6))
    unit = "km" if length >= 1000 else "m"
    for n, label in enumerate(("0", _km(length / 2), f"{_km(length)} {unit}")):
        ax.text(bx + n * length / 2, by + 1.6 * h, label, fontsize=7, ha="center",
                va="bottom", zorder=8)


def north_angle(x: float, y: float) -> float:
    """True north at metric ``x``, ``y``, in radians clockwise from the grid's north: a
    transverse Mercator grid leans from true north by the meridian convergence (up to ~2°
    at the city's edges)."""
    lon, lat = from_metric(x, y)
    nx, ny = to_metric(lon, lat + 0.01)
    return math.atan2(nx - x, ny - y)


def _north_arrow(ax, x0, x1, y0, y1, FancyArrow) -> None:
    """An arrow to true north, upper right."""
    ax_x, ax_y = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.16
    angle = north_angle(ax_x, ax_y)
    size = (y1 - y0) * 0.08
    dx, dy = size * math.sin(angle), size * math.cos(angle)
    ax.add_patch(FancyArrow(ax_x, ax_y, dx, dy, width=size * 0.12, head_width=size * 0.35,
                            head_length=size * 0.35, length_includes_head=True,
                            color="black", zorder=8))
    ax.text(ax_x + dx * 1.25, ax_y + dy * 1.25, "北", fontsize=10,
            ha="center", va="bottom", zorder=8)
    ax.text(ax_x, ax_y - size * 0.15, "N", fontsize=7, ha="center", va="top", zorder=8)
