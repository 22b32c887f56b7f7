"""Spatial structures as sector layers: definitions against the plan text, geometry, assignment."""

import re

import pytest
from shapely.geometry import Point

from geo.boundaries import county_level, district_by_name, municipality
from geo.crs import area_m2
from layers.ingest.readers import read_manifest
from layers.spatial.sectors import sectors_frame
from layers.spatial.structures import (
    BELT_BUFFER_M,
    StructureError,
    label_count,
    load_structures,
    read_structure_file,
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def structures():
    return load_structures()


@pytest.fixture(scope="module")
def sectors(structures, gaz):
    return sectors_frame(structures, gaz)


@pytest.fixture(scope="module")
def doc_text(plan_texts):
    return {row["doc_id"]: squash(plan_texts[f]) for f, row in read_manifest().items()}


def sector(sectors, structure_id, name):
    rows = sectors[(sectors["structure_id"] == structure_id) & (sectors["name"] == name)]
    assert len(rows) == 1, (structure_id, name)
    return rows.iloc[0]


def names(sectors, structure_id, element):
    rows = sectors[(sectors["structure_id"] == structure_id) & (sectors["element"] == element)]
    return list(rows["name"])


def member_texts(row):
    return [m["text"] for m in row["members"]]


# --------------------------------------------------------------------------- against the text


def test_every_sentence_and_member_is_in_its_plan(structures, doc_text):
    for s in structures:
        text = doc_text[s.doc_id]
        assert squash(s.sentence) in text, (s.id, s.sentence)
        for element in s.elements:
            if element["sentence"]:
                assert squash(element["sentence"]) in text, (s.id, element["label"])
            for d in element["sectors"]:
                assert squash(d.sentence) in text, (s.id, d.name)
                for m in d.members:
                    if not m.source:  # members we add from a definition say so instead
                        assert squash(m.text) in squash(d.sentence), (s.id, d.name, m.text)


def test_labels_promise_as_many_sectors_as_they_get(structures):
    for s in structures:
        assert squash(s.sentence).count(s.name.split("、")[0]) or s.aliases
        for element in s.elements:
            assert element["label"] in s.name or element["label"] in s.sentence, element
            count = label_count(element["label"])
            named = [d for d in element["sectors"] if d.name != element["label"]]
            if count is not None and named:
                assert len(named) == count, (s.id, element["label"])


def test_label_count():
    assert label_count("三心") == 3 and label_count("一坪两山") == 3
    assert label_count("五横三纵") == 8 and label_count("十八射") == 18
    assert label_count("多网") is None and label_count("百溪润城") is None


# --------------------------------------------------------------------------- 两江新区


def test_liangjiang_core_two_belts_three_centres_four_towns_many_networks(sectors):
    sid = "ljcy-yihe-liangdai"
    core = sector(sectors, sid, "城市发展核")
    assert core["element"] == "一核" and core["kind"] == "core"
    assert member_texts(core) == ["照母山片区", "悦来片区", "中央公园片区", "江北嘴中央商务区",
                                  "观音桥商圈都市旅游区"]
    assert core["status"] == "located" and core.geometry.geom_type in ("Polygon", "MultiPolygon")
    for m in core["members"]:
        assert m["status"] == "located"
    assert names(sectors, sid, "两带") == ["长江绿色开放带", "嘉陵江智能创新带"]
    assert names(sectors, sid, "三心") == ["江北嘴中心", "两江中心", "龙盛中心"]
    assert names(sectors, sid, "四城") == ["水土新城", "保税港新城", "石坪—唐桂新城", "龙盛新城"]
    assert names(sectors, sid, "多网") == ["智能创新轴", "复合城市风貌发展轴", "临空经济发展轴",
                                         "智能制造产业轴", "北部产业联络轴"]
    kinds = sectors[sectors["structure_id"] == sid].groupby("element")["kind"].first().to_dict()
    assert kinds == {"一核": "core", "两带": "belt", "三心": "centre", "四城": "new-town",
                     "多网": "axis"}
    # the plan names the axes but not their course: no geometry, and the row says why
    axis = sector(sectors, sid, "智能创新轴")
    assert axis.geometry is None and axis["status"] == "unknown" and "未写走向" in axis["reason"]
    # 两江中心 is not in the gazetteer: the centre is unlocated, not guessed
    centre = sector(sectors, sid, "两江中心")
    assert centre.geometry is None and "两江中心" in centre["reason"]


def test_core_contains_its_member_places(sectors, gaz):
    core = sector(sectors, "ljcy-yihe-liangdai", "城市发展核")
    for m in core["members"]:
        place = gaz.place(m["id"])
        assert core.geometry.contains(Point(place.lon, place.lat)), m
    # 礼嘉 is between 悦来 and 照母山 but 果园港 is far east of the core
    assert not core.geometry.contains(Point(gaz.place("c-guoyuangang").lon,
                                            gaz.place("c-guoyuangang").lat))


def test_river_belts_follow_their_rivers_inside_liangjiang(sectors, gaz):
    yangtze = sector(sectors, "ljcy-yihe-liangdai", "长江绿色开放带")
    jialing = sector(sectors, "ljcy-yihe-liangdai", "嘉陵江智能创新带")
    for belt in (yangtze, jialing):
        assert belt["status"] in ("located", "partial") and belt["buffer_m"] == BELT_BUFFER_M
        assert belt.geometry.geom_type in ("Polygon", "MultiPolygon")
        # clipped to the districts 两江新区 lies in: nothing on the 南岸/渝中 side
        for other in ("南岸区", "渝中区"):
            inside = belt.geometry.intersection(district_by_name(other).geometry)
            assert inside.is_empty or area_m2(inside) < 1.0  # shared edges only
        assert 5e6 < area_m2(belt.geometry) < 2.5e8
    at = {name: Point(gaz.place(pid).lon, gaz.place(pid).lat) for name, pid in (
        ("果园港", "c-guoyuangang"), ("郭家沱", "c-guojiatuo"), ("悦来", "c-yuelaipianqu"),
        ("水土嘉陵江大桥", "c-shuitujialingjiangdaqiao"), ("照母山", "c-zhaomushan"))}
    assert yangtze.geometry.contains(at["果园港"]) and yangtze.geometry.contains(at["郭家沱"])
    assert jialing.geometry.contains(at["悦来"])
    assert jialing.geometry.contains(at["水土嘉陵江大桥"])
    assert not yangtze.geometry.contains(at["悦来"]) and not jialing.geometry.contains(at["果园港"])
    assert not yangtze.geometry.contains(at["照母山"]) and not jialing.geometry.contains(at["照母山"])


def test_lj14_poles_and_heart(sectors):
    sid = "lj14-yihe-liangji-sanzhou"
    assert names(sectors, sid, "两极") == ["礼嘉—悦来—蔡家城市发展极", "龙盛城市发展极"]
    assert member_texts(sector(sectors, sid, "礼嘉—悦来—蔡家城市发展极")) == [
        "礼嘉片区", "悦来片区", "蔡家片区", "水土片区"]
    # the text describes two of the three axes, each by the platforms it links (drawn
    # schematically through them); the third is not in this copy of the plan
    assert names(sectors, sid, "三轴") == ["两江大道城市发展轴", "智能创新发展轴", "第三条城市发展轴"]
    avenue = sector(sectors, sid, "两江大道城市发展轴")
    assert member_texts(avenue)[0] == "鱼嘴" and member_texts(avenue)[-1] == "石船"  # 南起…北至
    assert avenue["schematic"] and avenue.geometry.geom_type == "LineString"
    third = sector(sectors, sid, "第三条城市发展轴")
    assert third.geometry is None and third["status"] == "unknown" and "第三条未见" in third["reason"]
    heart = sector(sectors, "lj14-yixin-liangdai", "中央绿心")
    assert heart["schematic"] and heart.geometry.geom_type in ("Polygon", "MultiPolygon")
    assert heart["status"] == "partial" and "金海湾公园" in heart["reason"]


# --------------------------------------------------------------------------- named structures

# Structures whose members the plans name, element by element: each label → its sectors as
# (name, the plan's word for it, status), or None where the plan gives the formula only. The
# word must be in the sector's sentence; the statuses say what could honestly be drawn.
NAMED_STRUCTURES = {
    "gx14-bei-zhong-nan": {
        "北研发": [("北部研发策源地", "北部研发策源地", "located")],
        "中转化": [("中部转化引领区", "中部转化引领区", "located")],
        "南制造": [("南部制造示范带", "南部制造示范带", "located")],
    },
    "gx14-sange-gongneng-pianqu": {
        "三个功能片区": [("基础研究功能片区", "基础研究", "unknown"),
                   ("应用研究功能片区", "应用研究", "unknown"),
                   ("成果转化功能片区", "成果转化", "unknown")],
        "五大创新支撑": [("大学城", "大学城", "located"), ("科研港", "科研港", "located"),
                   ("科学谷", "科学谷", "located"), ("生命岛", "生命岛", "located"),
                   ("科创街", "科创街", "located")],
    },
    "cq14-sige-tongchenghua": {
        "四个同城化先行区": [(f"{c}同城化先行区", c, "located") for c in ("璧山", "江津", "长寿", "南川")],
        "四个支点城市": [(f"{c}支点城市", c, "located") for c in ("涪陵", "永川", "合川", "綦江—万盛")],
        "四个桥头堡城市": [(f"{c}桥头堡城市", c, "located") for c in ("荣昌", "大足", "铜梁", "潼南")],
    },
    "cq14-shuanghe-yinling": {"双核": None, "成渝发展主轴": None},
    "cq14-yidai-sanping": {
        "长江上游生态保护带": [("长江上游生态保护带", "长江上游生态保护带", "located")],
        "三大生态屏障": [("大巴山生态屏障", "大巴山", "located"), ("武陵山生态屏障", "武陵山", "located"),
                   ("大娄山生态屏障", "大娄山", "unknown")],
    },
    "cq14-yicheng-yinling": {
        "一城": [("西部（重庆）科学城", "西部（重庆）科学城", "located")],
        "多园": None,
    },
    "cq14-youku-cangchu": {
        "中心": [("油库仓储中心", "长寿、江北", "located")],
        "支撑": [("油库仓储支撑", "万州、黔江、秀山、永川、合川", "located")],
    },
    "cq14-zhongyang-shangwuqu": {
        "三个片区": [(c, c, "located") for c in ("解放碑", "江北嘴", "弹子石")],
    },
    "cq14-liangjiang-sian": {
        "两江": [("长江主轴", "长江", "located"), ("嘉陵江主轴", "嘉陵江", "located")],
        "四岸": None,
        "三大平行槽谷": None,
    },
    "lj14-yihe-liangji-sanzhou": {
        "一核": [("两江城市发展核", "两江城市发展核", "located")],
        "两极": [("礼嘉—悦来—蔡家城市发展极", "礼嘉—悦来—蔡家城市发展极", "located"),
               ("龙盛城市发展极", "龙盛城市发展极", "located")],
        "三轴": [("两江大道城市发展轴", "两江大道城市发展轴", "located"),
               ("智能创新发展轴", "智能创新发展轴", "located"),
               ("第三条城市发展轴", "三轴", "unknown")],
    },
    "lj14-liangda-shuixi-sida-shanti": {
        "两大水系": [("长江水系", "长江", "located"), ("嘉陵江水系", "嘉陵江", "located")],
        "四大山体": [("中梁山山体", "中梁山", "unknown"), ("龙王洞山山体", "龙王洞山", "unlocated"),
                 ("铜锣山山体", "铜锣山", "unlocated"), ("明月山山体", "明月山", "unknown")],
    },
}


@pytest.mark.parametrize("structure_id", NAMED_STRUCTURES)
def test_named_structures_element_by_element(structure_id, structures, sectors, doc_text, gaz):
    expected = NAMED_STRUCTURES[structure_id]
    definition = next(s for s in structures if s.id == structure_id)
    text = doc_text[definition.doc_id]
    assert [e["label"] for e in definition.elements] == list(expected)
    rows = sectors[sectors["structure_id"] == structure_id]
    for label, wanted in expected.items():
        got = rows[rows["element"] == label]
        if wanted is None:  # the formula only: one row that says why, and nothing drawn
            assert len(got) == 1 and got.iloc[0]["name"] == label, (structure_id, label)
            row = got.iloc[0]
            assert row.geometry is None and row["status"] == "unknown" and row["reason"]
            continue
        assert list(got["name"]) == [name for name, _, _ in wanted], (structure_id, label)
        count = label_count(label)
        assert count is None or count == len(wanted), (structure_id, label, count)
        for (name, word, status), (_, row) in zip(wanted, got.iterrows(), strict=True):
            sentence = squash(row["sentence"])
            assert sentence in text and squash(word) in sentence, (name, word)
            made = next(d for d in definition.sectors if d.name == name)
            for m in made.members:  # the plan's own members (a defined one carries its source)
                assert m.source or squash(m.text) in sentence, (name, m.text)
            assert row["status"] == status, (name, row["status"], row["reason"])
            if status in ("located", "partial"):
                assert row.geometry is not None and not row.geometry.is_empty, name
                assert row.geometry.intersects(municipality().geometry), name
            else:
                assert row.geometry is None and row["reason"], name
            if row["approximate"]:
                assert "近似" in row["reason"], name
            if status != "located" or row["method"] not in ("areas", "districts", "path"):
                continue
            # a drawn sector holds (or, as a path, passes through) every member place
            for m in row["members"]:
                place = gaz.place(m["id"])
                at = Point(place.lon, place.lat)
                if row["method"] == "path":
                    assert row.geometry.distance(at) < 1e-9, (name, m["text"])
                elif not made.within:
                    assert row.geometry.contains(at), (name, m["text"])


def test_named_structures_draw_what_the_plan_says(sectors, gaz):
    # the 主城新区 cities are their districts; 綦江—万盛 is 綦江区 (万盛经开区 lies in it)
    for name, district in (("璧山同城化先行区", "璧山区"), ("綦江—万盛支点城市", "綦江区"),
                           ("潼南桥头堡城市", "潼南区")):
        row = sector(sectors, "cq14-sige-tongchenghua", name)
        assert row["approximate"] and row.geometry.equals(district_by_name(district).geometry)
    # the 长江 protection belt runs the river's whole reach in the city: 朝天门 to 万州 and on
    belt = sector(sectors, "cq14-yidai-sanping", "长江上游生态保护带")
    for pid in ("c-chaotianmen", "d-500233", "c-xintiangang", "d-500237"):  # 忠县, 巫山 seats
        assert belt.geometry.contains(Point(gaz.place(pid).lon, gaz.place(pid).lat)), pid
    # 武陵山 is drawn as the plan's own 渝东南 group, each district given with its source
    wuling = sector(sectors, "cq14-yidai-sanping", "武陵山生态屏障")
    assert {m["text"] for m in wuling["members"]} == {"黔江", "秀山", "武隆", "石柱", "酉阳", "彭水"}
    assert all("渝东南武陵山区城镇群" in m["source"] for m in wuling["members"])
    # the 中心城区 river axes stay inside the 中心城区: none of 江津 or 长寿
    for name in ("长江主轴", "嘉陵江主轴"):
        axis = sector(sectors, "cq14-liangjiang-sian", name)
        for other in ("江津区", "长寿区", "合川区"):
            inside = axis.geometry.intersection(district_by_name(other).geometry)
            assert inside.is_empty or area_m2(inside) < 1.0, (name, other)
    # the 科学城 circle is cut to the five districts the city spans: nothing in 渝中
    city = sector(sectors, "cq14-yicheng-yinling", "西部（重庆）科学城")
    assert city["approximate"]
    inside = city.geometry.intersection(district_by_name("渝中区").geometry)
    assert inside.is_empty or area_m2(inside) < 1.0


# --------------------------------------------------------------------------- 科学城, 一区两群


def test_science_city_one_core_five_districts(sectors):
    sid = "gx14-yihe-wuqu"
    assert names(sectors, sid, "一核") == ["重庆高新区直管园"]
    five = ["科学城沙坪坝片区", "科学城九龙坡片区", "科学城北碚片区", "科学城江津片区", "科学城璧山片区"]
    assert names(sectors, sid, "五区") == five
    for name in five:
        row = sector(sectors, sid, name)
        district = district_by_name(name[3:-2])
        # the 片区 boundary is not published: the district stands in, and says so
        assert row["approximate"] and row.geometry.equals(district.geometry)


def test_one_zone_two_groups_partition_the_municipality(sectors, structures):
    sid = "cq14-yiqu-liangqun"
    zones = {name: sector(sectors, sid, name) for name in
             ("主城都市区", "渝东北三峡库区城镇群", "渝东南武陵山区城镇群")}
    short = {name: {district_by_name(m["text"]).short_name for m in row["members"]}
             for name, row in zones.items()}
    assert len(short["渝东北三峡库区城镇群"]) == 11 and len(short["渝东南武陵山区城镇群"]) == 6
    assert len(short["主城都市区"]) == 20  # 21 until 江北区 and 渝北区 became 两江新区 (2026)
    everyone = [d.short_name for d in county_level()]
    assert sorted(sum((sorted(s) for s in short.values()), [])) == sorted(everyone)
    # the groups' lists are the plan's own words; 主城都市区 adds 中心城区 with its source
    for name in ("渝东北三峡库区城镇群", "渝东南武陵山区城镇群"):
        definition = next(d for st in structures for d in st.sectors if d.name == name)
        assert definition.members and all(not m.source for m in definition.members)
        assert all(re.search(d.rstrip("县区"), squash(zones[name]["sentence"])) for d in short[name])
    added = [m for m in zones["主城都市区"]["members"] if "规划文本未列出" in m["source"]]
    assert {m["text"] for m in added} == {"渝中区", "大渡口区", "两江新区", "沙坪坝区", "九龙坡区",
                                          "南岸区", "北碚区", "巴南区"}
    total = sum(area_m2(z.geometry) for z in zones.values())
    assert total == pytest.approx(area_m2(municipality().geometry), rel=0.01)


# --------------------------------------------------------------------------- bad definitions


@pytest.mark.parametrize("body, message", [
    ("doc_id: x\nstructures: [{id: a, name: 一核, sentence: s, elements: "
     "[{label: 一核, kind: core, sectors: [{name: n, geometry: blob, members: [x]}]}]}]",
     "未知几何方法 blob"),
    ("doc_id: x\nstructures: [{id: a, name: 一核, sentence: s, elements: "
     "[{label: 一核, kind: ring, sectors: unknown}]}]", "kind"),
    ("doc_id: x\nstructures: [{id: a, name: 一核, sentence: s, elements: "
     "[{label: 一核, kind: core, sectors: [{name: n, geometry: districts, members: [x], "
     "defined_members: [渝中区]}]}]}]", "source"),
    ("doc_id: x\nstructures: [{id: a, name: 一核, sentence: s, colour: red, elements: []}]",
     "未知字段 colour"),
    ("doc_id: x\nstructures: [{id: a, name: 一核\n", "无法读取"),
    ("doc_id: x\nstructures: [{id: a, name: 一核, sentence: s, elements: "
     "[{label: 一核, kind: belt, sectors: [{name: n, geometry: line, members: [长江], "
     "within: [火星区]}]}]}]", "火星区 不是区县"),
])
def test_bad_definitions_say_where_and_why(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(StructureError, match=message) as err:
        read_structure_file(path)
    assert "bad.yaml" in str(err.value)


# --------------------------------------------------------------------------- assignment


def sectors_of(layers, project_name):
    projects = layers["projects"]
    rows = projects[projects["name"] == project_name]
    assert len(rows) == 1, project_name
    return {s["name"]: s for s in rows.iloc[0]["sectors"]}


def test_hand_picked_projects_are_in_their_sectors(built_layers):
    yuelai = sectors_of(built_layers, "悦来智慧小区建设项目")
    assert yuelai["城市发展核"]["by"] == ["spatial", "text"]  # in it, and a member place
    assert yuelai["城市发展核"]["text"] == "成员地名：悦来片区"
    assert "长江绿色开放带" not in yuelai
    port = sectors_of(built_layers, "果园港枢纽港建设工程")
    assert "spatial" in port["长江绿色开放带"]["by"] and "城市发展核" not in port
    assert "嘉陵江智能创新带" not in port
    bridge = sectors_of(built_layers, "水土嘉陵江大桥")
    assert "spatial" in bridge["嘉陵江智能创新带"]["by"] and "水土新城" in bridge
    # a 专栏 entry titled …片区 in the 科学城 plan (璧山片区：…) puts its works in that 片区 by text
    projects = built_layers["projects"]
    under = [(row, sections[-1]) for _, row in projects.iterrows() for sections in row["sections"]
             if len(sections) > 1 and sections[-2].startswith("专栏")
             and sections[-1].endswith("片区") and "gx14" in row["doc_ids"]]
    assert len(under) >= 3
    for row, title in under:
        by_name = {s["name"]: s for s in row["sectors"]}
        assert "text" in by_name["科学城" + title]["by"], (row["name"], title)
    # a sector's name ties only its own plan's works: the city plan's 大学城复线隧道 is not in
    # the 科学城 plan's 大学城 support by text
    tunnel = sectors_of(built_layers, "大学城复线隧道")
    assert all("text" not in s["by"] for s in tunnel.values())
    # a work known only by its region is drawn as the region and left for review
    railway = sectors_of(built_layers, "渝东北旅游环线铁路")
    assert railway["渝东北三峡库区城镇群"]["by"] == ["spatial", "text"]
    row = projects[projects["name"] == "渝东北旅游环线铁路"].iloc[0]
    assert (row["geometry_kind"], row["status"]) == ("area", "review")
    assert "仅知所在区域" in row["reason"]


def test_every_located_project_has_its_zone(built_layers):
    projects = built_layers["projects"]
    zones = {"主城都市区", "渝东北三峡库区城镇群", "渝东南武陵山区城镇群"}
    located = projects[projects.geometry.notna()]
    assert len(located) > 400
    for name, entries in zip(located["name"], located["sectors"], strict=True):
        spatial = {s["name"] for s in entries if "spatial" in s["by"]} & zones
        assert len(spatial) >= 1, name
    unlocated = projects[projects.geometry.isna()]
    assert all("spatial" not in s["by"] for entries in unlocated["sectors"] for s in entries)


def test_a_sector_named_in_passing_is_not_a_location(built_layers):
    # 果园港国家物流枢纽's sentence also names the 邮轮母港; that does not put it there
    port = sectors_of(built_layers, "果园港国家物流枢纽")
    assert "邮轮母港" not in port


def test_wide_precision_members_make_approximate_sectors_and_links(sectors, built_layers):
    ridge = sector(sectors, "gx14-yixin-yizhou", "中梁山生态屏障")
    assert ridge["approximate"] and ridge["precision_m"] == 15000 and "近似" in ridge["reason"]
    core = sector(sectors, "ljcy-yihe-liangdai", "城市发展核")
    assert not core["approximate"] and core["precision_m"] <= 3500
    station = sectors_of(built_layers, "沙坪坝站")
    assert station["中梁山生态屏障"]["approximate"] is True
    assert station["科学城沙坪坝片区"]["approximate"] is True
    assert sectors_of(built_layers, "悦来智慧小区建设项目")["城市发展核"]["approximate"] is False


def test_river_lines_are_real_data_near_riverside_places(gaz):
    from geo.crs import distance_m
    from layers.spatial.lines import load_lines

    lines = load_lines(gaz)
    assert lines["长江干线"] is lines["长江"]
    for name, place_ids in (("长江", ("c-chaotianmen", "c-cuntangang", "c-guoyuangang")),
                            ("嘉陵江", ("c-shuitujialingjiangdaqiao", "c-ciqikou"))):
        line = lines[name]
        assert not line.schematic and "World Data Bank II" in line.source
        for pid in place_ids:
            place = gaz.place(pid)
            nearest = line.geometry.interpolate(line.geometry.project(Point(place.lon, place.lat)))
            assert distance_m(place.lon, place.lat, nearest.x, nearest.y) < 2000, pid
    assert lines["嘉陵江"].geometry.distance(lines["长江"].geometry) < 1e-6  # they meet at 朝天门


def test_river_bridges_and_ports_lie_on_their_river_within_precision(gaz):
    """An independent check of recalled coordinates: a 长江 bridge or port sits on the 长江."""
    from geo.crs import distance_m
    from layers.spatial.lines import load_lines

    lines = load_lines(gaz)
    checked = 0
    for place in gaz.places:
        river = ("长江" if "长江大桥" in place.name or
                 (place.kind == "port" and place.adcode in ("50LJ00", "500113", "500116",
                                                            "500101"))
                 else "嘉陵江" if place.kind == "bridge" and "嘉陵江" in place.name else None)
        if river is None:
            continue
        line = lines[river].geometry
        nearest = line.interpolate(line.project(Point(place.lon, place.lat)))
        assert distance_m(place.lon, place.lat, nearest.x, nearest.y) <= place.precision_m, \
            place.name
        checked += 1
    assert checked >= 15


def test_a_line_drawn_through_places_is_schematic_and_so_is_its_sector(tmp_path, gaz, structures):
    from layers.spatial.lines import LinesError, load_lines
    from layers.spatial.sectors import sector_geometry

    path = tmp_path / "lines.yaml"
    path.write_text("- {name: 科学大道, kind: road, through: [c-kexuegongyuan, c-zhaishanping], "
                    "source: 示意}\n", encoding="utf-8")
    lines = load_lines(gaz, path)
    assert lines["科学大道"].schematic and lines["科学大道"].geometry.geom_type == "LineString"
    axis = next(d for s in structures for d in s.sectors if d.name == "科学大道绿色长廊")
    made = sector_geometry(axis, gaz, lines)
    assert made["schematic"] and made["status"] == "located" and made["geometry"] is not None
    path.write_text("- {name: 科学大道, through: [c-nowhere], source: 示意}\n", encoding="utf-8")
    with pytest.raises(LinesError, match="c-nowhere"):
        load_lines(gaz, path)


def test_a_former_district_stands_for_its_old_area(gaz):
    from geo.boundaries import district_by_name
    from layers.spatial.sectors import _district_geometry

    yubei = gaz.geocode("渝北区").raw["id"]
    old = _district_geometry(gaz.place(yubei))
    assert old.equals(district_by_name("渝北区").geometry)  # 2021 plans meant this area
    assert not old.equals(district_by_name("两江新区").geometry)


def test_a_member_place_link_names_the_structures_first_member_the_project_is_at(built_layers):
    """A project located by two of a zone's member places is linked by the first in the
    structure's order: it took whichever a set gave first, so builds differed per process."""
    sectors = built_layers["sectors"]
    zone = sectors[sectors["name"] == "主城都市区"].iloc[0]
    pipeline = sectors_of(built_layers, "南川至两江新区天然气管道工程")["主城都市区"]
    projects = built_layers["projects"]
    row = projects[projects["name"] == "南川至两江新区天然气管道工程"].iloc[0]
    at = {p["id"] for p in row["places"]}
    members = [m for m in zone["members"] if m["id"] in at]
    assert len(members) >= 2  # the case in question: more than one to choose from
    assert pipeline["text"] == f"成员地名：{members[0]['text']}"
