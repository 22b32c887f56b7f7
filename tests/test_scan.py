import pytest


def test_offsets_point_into_the_original_text(gaz, plan_texts):
    for text in plan_texts.values():
        for m in gaz.find_places(text):
            assert text[m.start:m.end] == m.text
            assert m.end > m.start


def test_ten_projects_article_places(gaz, plan_texts):
    text = plan_texts["001_7b9a8881637c2cd9.txt"]
    names = {m.name for m in gaz.find_places(text) if m.status == "auto"}
    assert {"礼嘉街道", "龙兴镇", "水土街道"} <= names


@pytest.mark.parametrize("sentence,word", [
    ("建设山清水秀美丽之地", "清水"),
    ("实现中华民族伟大复兴", "复兴"),
    ("绿水青山就是金山银山", "金山"),
    ("加强水土保持和水土流失治理", "水土"),
    ("提供金融、科研、安居、医疗服务", "安居"),   # a town stem that is an ordinary word
    ("推动公平竞争，建设宜居城市", "宜居"),
    ("加快成渝中线高铁建设", "渝中"),    # 成渝 (成都—重庆) heads the word, not 渝中区
    ("打造长嘉汇滨江消费带", "滨江"),    # riverside, not 江津's 滨江新城
])
def test_no_false_positives_from_ordinary_words(gaz, sentence, word):
    hits = [m for m in gaz.find_places(sentence) if word in m.text]
    assert hits == []


def test_a_declared_word_leaves_the_full_names_found(gaz):
    found = {m.text: m.place_id for m in gaz.find_places("江津滨江新城与成渝地区双城经济圈、渝中区")}
    assert found["江津滨江新城"] == "c-binjiangxincheng"
    assert found["渝中区"] == "d-500103"
    assert found["成渝地区双城经济圈"].startswith("r-")


def test_not_places_are_reported_when_asked(gaz):
    mentions = gaz.find_places("建设山清水秀美丽之地，融入长江经济带，保护长江",
                               include_not_places=True)
    assert [(m.text, m.status) for m in mentions] == [
        ("山清水秀", "not_place"), ("长江经济带", "not_place"), ("长江", "auto")]
    assert not any(m.place_id for m in mentions[:2])


def test_lines_and_regions_are_found_with_their_shapes(gaz):
    from gazetteer.shapes import shape_of

    text = "推进轨道交通6号线延伸，保护嘉陵江，做优渝东北三峡库区城镇群"
    found = {m.text: gaz.place(m.place_id) for m in gaz.find_places(text)}
    assert {t: (p.geometry, shape_of(p).geom_type) for t, p in found.items()} == {
        "轨道交通6号线": ("line", "MultiLineString"),
        "嘉陵江": ("line", "LineString"),
        "渝东北三峡库区城镇群": ("area", "Polygon"),
    }
    region = found["渝东北三峡库区城镇群"]
    wanzhou = next(p for p in gaz.places if p.name == "万州区")
    from shapely.geometry import Point

    assert shape_of(region).contains(Point(wanzhou.lon, wanzhou.lat))
    assert not shape_of(region).contains(Point(106.55, 29.56))  # 渝中 is not 渝东北


def test_district_qualified_town_stem(gaz):
    text = "提升酉阳龚滩古镇、巫山大昌古镇、涪陵蔺市"
    found = [(m.text, gaz.place(m.place_id), m.status) for m in gaz.find_places(text)]
    assert [(t, p.district, s) for t, p, s in found] == [
        ("酉阳龚滩", "酉阳土家族苗族自治县", "auto"),
        ("巫山大昌", "巫山县", "auto"),
        ("涪陵蔺市", "涪陵区", "auto"),
    ]
    assert [p.name[:2] for _, p, _ in found] == ["龚滩", "大昌", "蔺市"]


def test_bare_alias_of_a_town(gaz):
    [m, _] = gaz.find_places("礼嘉、水土")
    assert (m.text, m.name, m.status, m.start, m.end) == ("礼嘉", "礼嘉街道", "auto", 0, 2)


def test_longest_match_wins(gaz):
    [m] = gaz.find_places("前往礼嘉街道办事")
    assert m.text == "礼嘉街道" and m.matched_by == "exact"


def test_traditional_and_full_width_text(gaz):
    text = "推進禮嘉、水土建設，ＡＢＣ"
    found = [(m.text, m.name) for m in gaz.find_places(text)]
    assert found == [("禮嘉", "礼嘉街道"), ("水土", "水土街道")]


def test_ambiguous_name_is_for_review_with_candidates(gaz):
    [m] = gaz.find_places("人和街道")
    assert m.status == "review"
    assert len(m.candidates) >= 2
    [m] = gaz.find_places("人和街道", district="渝北区")
    assert m.status == "auto" and gaz.place(m.place_id).district == "两江新区"


def test_known_name_without_coordinates_is_unlocated(gaz):
    [m] = gaz.find_places("茶山竹海街道")  # no open source has a point for it
    assert m.status == "unlocated" and m.place_id is None and "永川" in m.note


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "a" * 100_000, "😀" * 1000, None])
def test_bad_text(gaz, text):
    assert isinstance(gaz.find_places(text), list)


def test_unknown_district_preference_is_a_clear_error(gaz):
    with pytest.raises(ValueError, match="未知区县"):
        gaz.find_places("人和街道", district="不存在区")


def test_a_shared_town_name_is_decided_by_its_sentence(gaz):
    # 人和街道 is in 两江新区 (渝北 until 2026) and in 云阳: a 两江 place in the sentence decides it …
    [m, _] = gaz.find_places("人和街道与礼嘉街道联动发展")
    assert (m.status, gaz.place(m.place_id).district) == ("auto", "两江新区")
    assert m.matched_by.endswith("+context") and "两江新区" in m.note
    assert m.confidence < 1.0
    # … a district in another sentence does not, and one that fits neither leaves it for review
    for text in ("支持渝北区发展。人和街道", "推进万州区人和街道建设"):
        found = [m for m in gaz.find_places(text) if m.text == "人和街道"]
        assert found[0].status == "review" and len(found[0].candidates) == 2


def test_metro_lines_by_number_never_inside_a_longer_number(gaz):
    found = [(m.text, m.name) for m in gaz.find_places("建设轨道交通4号线二期、14号线和6号线支线，推进１５号线")]
    assert found == [("轨道交通4号线", "重庆轨道交通4号线"), ("6号线", "重庆轨道交通6号线")]
