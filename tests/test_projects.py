"""Project extraction rules, merging, ids and geometry."""

import pytest
import shapely

from layers.ingest.names import clean_item, is_project_name, name_key, project_id, split_items
from layers.ingest.projects import extract_projects


@pytest.fixture(scope="module")
def by_name(extracted):
    return {name_key(p.name): p for p in extracted}


@pytest.mark.parametrize("name", [
    "山清水秀美丽之地", "高质量发展引领区", "一批示范项目", "十大工程", "水际线", "数字经济",
    "长寿打造环重庆主城都市区经济协同发展示范区", "三大新城", "创新型中小微企业",
    "数据中心", "商务中心", "示范学校", "企业研发总部基地",  # generic types (rules.yaml)
    "“五区”指科学城沙坪坝片区", "“四廊”即以快速路一联络线",  # definitions of a term
    "土壤污染综合治理", "老旧小区改造", "生态环境综合治理",  # an action on no named work
])
def test_slogans_goals_and_clauses_are_not_project_names(name):
    assert not is_project_name(name)


@pytest.mark.parametrize("name", [
    "綦江蟠龙抽水蓄能电站", "渝湘高速复线巴南—酉阳段", "27号线", "两江协同创新区建设工程",
    "中瑞产业园二期", "重庆快件集散中心（一期）", "中国工业互联网研究院重庆分院",
    "渝遂高速扩能", "寸滩邮轮母港改造", "梁滩河全流域综合治理",  # a named work, then the action
])
def test_works_are_project_names(name):
    assert is_project_name(name)


@pytest.mark.parametrize("name, why", [
    ("复合材料页岩气", "a head lent to places (涪陵、南川页岩气) given to an industry"),
    ("电子材料页岩气", "the same list, through 和"),
    ("龙盛片区", "礼嘉、悦来、水土、龙盛等片区: areas named by way of example"),
    ("渝北仙桃数据谷", "东连渝北仙桃数据谷: a position"),
    ("水土高新城", "向北连接水土高新城: a position"),
    ("沿空港大道", "沿空港大道、渝都大道: the linking word read into the name"),
    ("制造业创新中心", "集中布局…: a kind laid out"),
    ("文体设施", "a kind by its ending"),
    ("城市水厂", "新（扩）建城市大型水厂49座: counted"),
])
def test_the_gate_keeps_non_works_out(by_name, name, why):
    assert name_key(name) not in by_name, why


@pytest.mark.parametrize("name", ["解放碑片区", "弹子石片区", "红崖寨公园", "涪陵页岩气", "复兴区块"])
def test_sites_a_box_lists_stay_projects(by_name, name):
    assert name_key(name) in by_name


def test_a_bare_work_after_and_takes_the_head_of_the_run_that_follows(by_name):
    # 推进涪陵、南川页岩气和潼南—合川、开州罗家寨常规天然气稳产增能
    assert name_key("潼南—合川常规天然气") in by_name
    assert name_key("南川页岩气") in by_name and name_key("潼南—合川页岩气") not in by_name


def test_two_firms_works_of_one_kind_written_once_are_two(by_name):
    # 京东方及宇隆研发中心
    assert name_key("京东方研发中心") in by_name and name_key("宇隆研发中心") in by_name


def test_a_word_holding_deng_closes_no_list(by_name):
    from layers.ingest.names import etc_at

    assert etc_at("重庆电力高等专科学校") == -1 and etc_at("黔江、秀山等区块") == 5
    assert name_key("重庆电力高等专科学校分校区") in by_name


def test_list_items_lose_actions_and_tails():
    assert clean_item("续建和新开工黔江东南环线") == "黔江东南环线"
    assert clean_item("加快推动国家实验室重庆基地") == "国家实验室重庆基地"
    assert clean_item("重庆大学科学中心建设") == "重庆大学科学中心"
    text = "长安福特（野马纯电、林肯）、吉利“智能、换电”基地、水土新城"
    assert [text[a:b] for a, b in split_items(text)] == [
        "长安福特（野马纯电、林肯）", "吉利“智能、换电”基地", "水土新城"]


def test_a_head_written_once_for_a_list_goes_to_every_bare_item(by_name):
    """…黄泥湾、大塘、枣子、学团变电站、礼白大道…: the run of bare items takes the head of the
    item that closes it; 万州青龙、…、万盛板辽等一批中小型水库: the qualified tail lends 水库."""
    for name in ("枣子变电站", "大塘变电站", "黄泥湾变电站", "学团变电站",
                 "万州青龙水库", "万盛板辽水库", "金凤污水处理厂"):
        assert name_key(name) in by_name, name
    # each item keeps its own place: 万州青龙水库 is at 万州, not wherever the list's last item is
    assert [r.name for r in by_name[name_key("万州青龙水库")].places] == ["万州区"]


def test_a_lent_head_never_makes_a_work_of_a_district_or_a_road(by_name):
    # 推动曾家镇、金凤镇卫生院升级…; 建设江津、铜梁、合川等至中心城区的…铁路; 茶黄路、鹿角隧道
    for wrong in ("曾家镇医院", "曾家镇卫生院", "江津铁路", "铜梁铁路", "茶黄路隧道",
                  "长江黄金水道铁路", "抽水蓄能电站"):
        assert name_key(wrong) not in by_name, wrong


def test_a_route_leaving_the_city_is_drawn_to_its_boundary(by_name):
    """万州—十堰铁路: 万州 is in the city, 十堰 in 湖北 (an outside seat, never a site). The line
    runs from 万州 towards 十堰 and stops at the city's boundary; its outside end is named."""
    from geo.boundaries import municipality

    project = by_name[name_key("万州—十堰铁路")]
    assert project.partial and project.outside == ["十堰市（湖北省）"]
    assert project.geometry_kind == "line" and project.schematic
    city = municipality().geometry
    assert city.buffer(1e-6).contains(project.geometry)  # nothing drawn outside
    assert project.geometry.distance(city.boundary) < 1e-6  # it reaches the boundary
    assert "十堰" in project.reason
    inside = by_name[name_key("万州—利川—张家界高铁")]
    assert inside.outside == ["利川市（湖北省）", "张家界市（湖南省）"]


@pytest.mark.parametrize("name, outside", [
    ("黔江—务川", "务川仡佬族苗族自治县（贵州省）"),  # an autonomous county's short name
    ("秀山—来凤", "来凤县（湖北省）"),  # not 璧山's 来凤街道, 290 km away
])
def test_a_border_route_ends_at_the_county_over_the_border(by_name, name, outside):
    project = by_name[name_key(name)]
    assert project.partial and project.outside == [outside]
    assert project.geometry_kind == "line" and project.geometry.length < 1.0  # degrees


def test_short_names_of_outside_counties_drop_their_nationalities():
    from gazetteer.sources.outside import short_of

    assert short_of("务川仡佬族苗族自治县") == "务川"
    assert short_of("恩施土家族苗族自治州") == "恩施"
    assert short_of("管城回族区") == "管城"
    assert short_of("安岳县") == "安岳"


def test_outside_seats_are_never_sites(gaz):
    assert gaz.find_places("推动十堰、安康、吉首方向通道建设") == []


def test_a_box_lists_sites_by_district_and_name(by_name):
    """专栏 entries 历史文化名街（镇）。…黔江濯水古镇… / 特色夜市街区。…江北不夜九街…: each site is a
    project though it has no project word; the entry's label is the kind, not a project;
    events (丰都庙会) are no sites."""
    for site in ("黔江濯水古镇", "江北不夜九街", "永川茶山竹海", "沙坪坝磁器口后街"):
        assert name_key(site) in by_name, site
    for not_site in ("特色夜市街区", "特色康养基地", "丰都庙会", "两江新区为核心区"):
        assert name_key(not_site) not in by_name, not_site


def test_ids_are_stable_and_follow_the_name():
    assert project_id("果园港枢纽港建设工程") == project_id("果园港枢纽港建设工程")
    assert project_id("果园港枢纽港建设工程") != project_id("礼嘉悦来智慧园建设工程")
    assert project_id("果园港枢纽港建设工程").startswith("p-")


def test_a_rerun_gives_the_same_projects(extracted, gaz):
    from layers.ingest.readers import load_documents

    again = extract_projects(load_documents(), gaz)
    assert [(p.id, p.name, len(p.sources)) for p in again] == \
        [(p.id, p.name, len(p.sources)) for p in extracted]
    assert len({p.id for p in extracted}) == len(extracted)


def test_the_same_project_in_two_plans_is_one_project(by_name):
    p = by_name[name_key("超瞬态实验装置")]
    assert set(p.doc_ids) == {"cq14", "gx14"}
    # the scrape of lj14 repeats 专栏2: one project, both places in the text listed
    twice = by_name[name_key("钛合金精密铸造技术创新中心")]
    lj14 = [s for s in twice.sources if s.doc_id == "lj14"]
    assert len(lj14) == 2 and lj14[0].start != lj14[1].start


def test_sources_carry_sentence_offsets_into_the_plan(by_name, plan_texts):
    p = by_name[name_key("綦江蟠龙抽水蓄能电站")]
    source = p.sources[0]
    text = plan_texts["003_5b117a5749a753be.txt"]
    assert "綦江蟠龙抽水蓄能电站" in text[source.start:source.end]
    assert source.excerpt == text[source.start:source.end].strip()
    assert p.category == "能源"


def test_a_route_is_a_line_through_its_places_in_order(by_name, gaz):
    p = by_name[name_key("合川—璧山—江津")]
    assert p.geometry_kind == "line" and p.status == "auto"
    coords = list(p.geometry.coords)
    expected = [gaz.geocode(n) for n in ("合川", "璧山", "江津")]
    assert coords == [(loc.longitude, loc.latitude) for loc in expected]


def test_an_area_project_is_a_polygon_of_its_place_precision(by_name, gaz):
    from geo.crs import area_m2

    p = by_name[name_key("寸滩国际新城")]
    assert p.geometry_kind == "area"
    place = gaz.place(p.places[0].place_id)
    expected = 3.14159 * place.precision_m ** 2
    assert abs(area_m2(p.geometry) - expected) / expected < 0.02


def test_a_bracketed_aside_does_not_hide_the_place_the_name_is(by_name):
    # …中心医院（重庆市急救医疗中心）科学城院区 is one campus, not 重庆大学 plus 科学城
    p = by_name[name_key("重庆大学附属中心医院（重庆市急救医疗中心）科学城院区")]
    assert p.located_by == ["c-chongqingdaxuefushuzhongxinyiyuankexuechengyuanqu"]
    assert p.geometry_kind == "point"


def test_a_chain_item_is_not_located_by_the_items_before_it(by_name):
    # 串联礼嘉智慧公园—金海湾公园—白马社区公园…: 礼嘉智慧公园 is a sibling, not where the others are
    assert by_name[name_key("礼嘉智慧公园")].located_by == ["c-lijiazhihuigongyuan"]
    for name in ("金海湾公园", "白马社区公园"):
        p = by_name[name_key(name)]
        assert "c-lijiazhihuigongyuan" not in p.located_by and p.status == "unlocated"


@pytest.mark.parametrize("name", ["永川茶山竹海", "丰都南天湖", "广阳岛", "南天湖国家级旅游度假区"])
def test_a_scenic_place_named_whole_or_a_resort_there_is_an_area(by_name, name):
    assert by_name[name_key(name)].geometry_kind == "area"


def test_a_reservoir_named_by_its_place_stays_a_site(by_name):
    assert by_name[name_key("酉阳桃花源水库")].geometry_kind == "point"


def test_several_places_make_a_multi_geometry(by_name):
    p = by_name[name_key("鱼复、龙兴、水土新城建设工程")]
    assert p.geometry_kind == "multi" and len(p.geometry.geoms) >= 3


def test_unlocated_projects_are_kept_with_a_reason_never_at_a_fake_spot(extracted):
    unlocated = [p for p in extracted if p.status == "unlocated"]
    assert unlocated and all(p.geometry is None and p.reason for p in unlocated)
    assert any(p.name == "中科云从人工智能基础资源开放平台" for p in unlocated)


def test_located_geometries_lie_in_chongqing(extracted):
    from geo.boundaries import municipality

    region = municipality().geometry.buffer(0.05)
    located = [p for p in extracted if p.geometry is not None]
    assert len(located) > 300
    # routes are straight between their places, areas are buffers: check the places
    def anchors(geom):
        if geom.geom_type == "Polygon":
            return [geom.centroid]
        return list(shapely.points(shapely.get_coordinates(geom)))

    outside = [p.name for p in located if not all(region.contains(a) for a in anchors(p.geometry))]
    assert not outside, outside
    assert all(shapely.is_valid(p.geometry) for p in located)


def test_review_status_carries_candidates(extracted):
    for p in extracted:
        if p.status == "review":
            assert p.reason
        for ref in p.places:
            if ref.status == "review":
                assert len(ref.candidates) >= 1


def test_a_work_along_a_line_follows_the_real_line(built_layers, gaz):
    from gazetteer.shapes import shape_of

    projects = built_layers["projects"].set_index("name")
    river = shape_of(gaz.place("l-river-长江"))
    reach = projects.loc["长江重庆段"]
    assert reach["geometry_kind"] == "line" and not reach["schematic"]
    assert reach.geometry.equals_exact(river, 1e-6)
    # A work that only borrows the river's name is not drawn along it.
    hall = projects.loc["长江音乐厅"]
    assert hall["geometry_kind"] != "line"
    # A straight line through places stays schematic.
    routes = built_layers["projects"]
    drawn = routes[(routes["geometry_kind"] == "line") & routes["schematic"]]
    assert len(drawn) > 10


def test_a_plan_about_one_district_decides_names_it_shares(gaz):
    from layers.ingest.documents import Document
    from layers.ingest.locate import mentions_in, plan_district

    lj = Document("x", "重庆两江新区国民经济和社会发展第十四个五年规划纲要", "")
    city = Document("y", "重庆市国民经济和社会发展第十四个五年规划纲要", "")
    assert plan_district(gaz, lj) == "两江新区" and plan_district(gaz, city) is None
    [shared] = mentions_in(gaz, "人和街道城市更新")  # 两江新区 and 云阳县 both have one
    assert shared.status == "review"
    [decided] = mentions_in(gaz, "人和街道城市更新", plan_district(gaz, lj))
    assert decided.status == "auto" and gaz.place(decided.place_id).district == "两江新区"
