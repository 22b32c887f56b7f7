"""The app's data rules without a browser: groups, filters, search, URL state."""

import json
import re

import numpy as np
import pytest

from layers.spatial.structures import label_count
from layers.web.catalogue import GROUP_PREFIX, ViewState, read_groups


def names(frame):
    return set(frame["name"])


def test_the_ten_projects_group_is_the_plans_own_list(cat, plan_texts):
    group = cat.group_by_id[GROUP_PREFIX + "lj10-shidagongcheng"]
    # the numeral in the group's name is the count the plan promises
    assert len(group.project_ids) == label_count("十大工程") == 10
    chosen = cat.select(ViewState(projects=[group.id]))
    assert names(chosen) >= {"两江协同创新区建设工程", "果园港枢纽港建设工程",
                             "民生实事和城市品质提升工程", "鱼复、龙兴、水土新城建设工程"}
    # every name is in the plan's sentence, once the newspaper's hard wraps are joined
    lj10 = re.sub(r"\s+", "", next(t for f, t in plan_texts.items() if f.startswith("001_")))
    sentence = lj10[lj10.index("十大工程包括"):][:200]
    assert all(n in sentence for n in names(chosen))


def test_groups_file_errors_name_the_file(tmp_path, built_layers):
    bad = tmp_path / "groups.yaml"
    bad.write_text("groups:\n  - id: x\n    name: y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="groups.yaml.*doc_id"):
        read_groups(built_layers["projects"], bad)
    bad.write_text("groups: [", encoding="utf-8")
    with pytest.raises(ValueError, match="不是有效的 YAML"):
        read_groups(built_layers["projects"], bad)


def test_document_category_groups_cover_every_project(cat):
    doc_groups = [g for g in cat.groups if "/" in g.id]
    covered = {pid for g in doc_groups for pid in g.project_ids}
    assert covered == set(cat.projects["id"])
    options = cat.project_options()
    assert options[:len(cat.groups)] == [g.id for g in cat.groups]
    assert set(options[len(cat.groups):]) == set(cat.projects["id"])
    assert cat.option_label(cat.groups[0].id).startswith("▣ 两江新区十大工程（10 项）")


def test_filters_combine(cat):
    everything = cat.select(ViewState())
    assert len(everything) == len(cat.projects)
    transport = cat.select(ViewState(categories=["交通"]))
    in_yubei = cat.select(ViewState(districts=["两江新区"]))
    both = cat.select(ViewState(categories=["交通"], districts=["两江新区"]))
    assert 0 < len(both) < min(len(transport), len(in_yubei))
    assert set(both["id"]) == set(transport["id"]) & set(in_yubei["id"])
    assert (both["category"] == "交通").all()
    # values within one filter widen it
    two = cat.select(ViewState(categories=["交通", "能源"]))
    assert len(two) == len(transport) + len(cat.select(ViewState(categories=["能源"])))


def test_status_and_confidence_filters(cat):
    unlocated = cat.select(ViewState(statuses=["unlocated"]))
    assert len(unlocated) and (unlocated["status"] == "unlocated").all()
    assert unlocated.geometry.isna().all() or unlocated.geometry.is_empty.all()
    sure = cat.select(ViewState(min_confidence=0.95))
    assert len(sure) and "unlocated" not in set(sure["status"])
    assert (cat.project_confidence[cat.mask(ViewState(min_confidence=0.95))] >= 0.95).all()
    assert len(sure) < len(cat.select(ViewState(min_confidence=0.05)))


def test_structure_and_sector_filters(cat):
    sectors = cat.sectors
    belt = sectors[sectors["name"] == "长江绿色开放带"].iloc[0]
    in_belt = cat.select(ViewState(sectors=[belt["id"]]))
    assert "果园港枢纽港建设工程" in names(in_belt)
    assert all(belt["id"] in [s["id"] for s in ss] for ss in in_belt["sectors"])
    # a structure alone: any of its sectors
    structure = cat.select(ViewState(structures=[belt["structure_id"]]))
    assert set(in_belt["id"]) <= set(structure["id"])
    shown = cat.visible_sectors(ViewState(structures=[belt["structure_id"]]))
    assert set(shown["structure_id"]) == {belt["structure_id"]}
    assert list(cat.visible_sectors(ViewState(sectors=[belt["id"]]))["id"]) == [belt["id"]]


def test_one_project_selects_exactly_it(cat):
    pid = cat.projects.loc[cat.projects["name"] == "果园港枢纽港建设工程", "id"].iloc[0]
    chosen = cat.select(ViewState(projects=[pid]))
    assert list(chosen["id"]) == [pid]


@pytest.mark.parametrize("query", ["果园港", "果園港", "ＧｕｏＹｕａｎＧａｎｇ", "guoyuangang",
                                   "Guo Yuan Gang", "gyg", "重庆果园港", "  果园港\u200b "])
def test_search_finds_guoyuangang(cat, query):
    hits = cat.search(query)
    assert hits, query
    assert (hits[0].kind, hits[0].name) == ("place", "果园港")
    # projects named after it come along
    assert any(h.kind == "project" and h.name.startswith("果园港") for h in hits)


def test_search_ranks_and_refuses_noise(cat):
    hits = cat.search("礼嘉")
    assert hits[0].name.startswith("礼嘉")
    ranks = [h.rank for h in hits]
    assert ranks == sorted(ranks)
    assert cat.search("") == [] and cat.search("   ") == [] and cat.search("g") == []
    assert cat.search("<script>alert(1)</script>") == []
    assert cat.search("zzzzqqq") == []


def test_url_state_round_trips(cat):
    group = cat.groups[0].id
    state = ViewState(projects=[group], categories=["交通", "能源"], districts=["两江新区"],
                      statuses=["auto"], min_confidence=0.5, query="果园港",
                      focus="place:c-guoyuangang", basemap="amap",
                      structures=[cat.sectors["structure_id"].iloc[0]],
                      view="29.61234,106.51234,12")
    query = state.to_query()
    assert query["cat"] == "交通,能源" and query["base"] == "amap"
    back, problems = cat.state_from_query(query)
    assert problems == []
    assert back == state
    assert ViewState().to_query() == {}


def test_a_bad_link_opens_and_says_what_it_ignored(cat):
    state, problems = cat.state_from_query({
        "cat": "交通,火星", "conf": "abc", "base": "google", "focus": "place:nowhere",
        "dist": "渝北区,两江新区", "p": "p-doesnotexist"})
    # a link from before 2026 names 渝北区: it opens on its successor and says so
    assert state.categories == ["交通"] and state.districts == ["两江新区"]
    assert state.projects == [] and state.min_confidence == 0.0 and state.basemap == "blank"
    assert state.focus == ""
    text = "\n".join(problems)
    for word in ("火星", "abc", "google", "place:nowhere", "p-doesnotexist"):
        assert word in text
    assert "渝北区已于 2026-01-25 并入两江新区" in text
    _, problems = cat.state_from_query({"conf": "7"})
    assert problems and "0 到 1" in problems[0]


@pytest.mark.parametrize("view", ["29.6,106.5", "abc", "29.6,106.5,x", "29.6,106.5,30",
                                  "39.9,116.4,10", "29.6,106.5,12,1", ""])
def test_a_link_with_a_view_off_the_city_or_mistyped_opens_fitted(cat, view):
    state, problems = cat.state_from_query({"v": view})
    assert state.view == "" and len(problems) == 1 and "地图视野" in problems[0]


def test_table_follows_the_filter(cat):
    chosen = cat.select(ViewState(categories=["水利"]))
    table = cat.table(chosen)
    assert list(table.index) == list(chosen["id"])
    assert set(table["类别"]) == {"水利"}
    assert {"名称", "文档", "状态", "置信度", "区县", "所属片区", "出处"} <= set(table.columns)
    assert not np.isnan(table["置信度"]).any()


def test_focus_geometry(cat):
    assert cat.focus_geometry("place:c-guoyuangang").geom_type == "Point"
    unlocated = cat.projects.loc[cat.projects["status"] == "unlocated", "id"].iloc[0]
    assert cat.focus_geometry(f"project:{unlocated}") is None
    kind, row = cat.focus_row(f"project:{unlocated}")  # known, just not on the map
    assert kind == "project" and row["id"] == unlocated and row["reason"]
    assert cat.focus_row("place:nowhere") is None
    assert cat.focus_geometry("nonsense") is None


def test_download_texts_follow_the_selection(cat):
    water = cat.select(ViewState(categories=["水利"]))
    data = json.loads(cat.selection_geojson(water))
    assert [f["id"] for f in data["features"]] == list(water["id"])
    everything = cat.select(ViewState())
    # the unfiltered view is the whole layer, the same text the layer button gives
    assert cat.selection_geojson(everything) is cat.layer_geojson("projects")
    assert len(json.loads(cat.layer_geojson("projects"))["features"]) == len(cat.projects)
    assert {f["id"] for f in json.loads(cat.layer_geojson("districts"))["features"]} == set(
        cat.districts["id"])


def test_downloads_carry_the_planners_corrections(cat):
    import geopandas as gpd
    from shapely.geometry import Point

    from layers.notes.corrections import corrections

    water = cat.select(ViewState(categories=["水利"]))
    target = water["id"].iloc[0]
    notes = gpd.GeoDataFrame({
        "id": ["a1"], "note": ["实际在此"], "author": ["张工"], "tags": [[]],
        "status": ["open"], "target": [target], "created_at": ["2026-11-21T00:00:00+00:00"],
        "updated_at": ["2026-11-21T01:00:00+00:00"], "version": [1]},
        geometry=[Point(106.7, 29.7)], crs="EPSG:4326")
    fixes = corrections(notes)
    for text in (cat.selection_geojson(water, fixes), cat.layer_geojson("projects", fixes)):
        (fixed,) = [f for f in json.loads(text)["features"] if f["id"] == target]
        assert fixed["geometry"] == {"type": "Point", "coordinates": [106.7, 29.7]}
        assert fixed["properties"]["corrected_by"] == "张工"
        assert fixed["properties"]["corrected_at"] == "2026-11-21"
    # the cached, uncorrected layer is untouched
    assert target not in {f["id"] for f in json.loads(cat.layer_geojson("projects"))["features"]
                          if f["properties"].get("corrected_by")}
