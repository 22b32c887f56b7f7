import geopandas
import pytest
from geopy.location import Location

from gazetteer import Gazetteer
from gazetteer.core import MAX_QUERY_CHARS


def _best(gaz, query, **kw):
    res = gaz.resolve(query, **kw)
    return res, (res.best.place.name if res.best else None)


def test_load_is_shared_and_complete(gaz):
    assert len(gaz.places) > 800
    assert Gazetteer().index is gaz.index  # the index is built once per data folder


@pytest.mark.parametrize("query,name,rung", [
    ("礼嘉街道", "礼嘉街道", "exact"),             # exact
    ("渝北", "渝北区", "alias"),                   # alias
    ("重慶市渝北區", "渝北区", "normalised"),       # 繁体 + prefix
    ("“渝北区”", "渝北区", "normalised"),           # quotes
    ("ＹＵ北区", None, None),                       # full-width Latin is folded, still no match
    ("大昌街道", "大昌镇", "suffix"),               # suffix variant
    ("渝北区礼嘉", "礼嘉街道", "district_hint+alias"),  # hierarchical hint
    ("guoyuangang", "果园港", "pinyin"),
    ("Guoyuan Gang", "果园港", "pinyin"),
    ("礼家街道", "礼嘉街道", "homophone"),          # an input-method typo: 家 for 嘉
    ("渝北礼家街道", "礼嘉街道", "district_hint+homophone"),
    ("礼嘉街", "礼嘉街道", "fuzzy"),
])
def test_matching_ladder(gaz, query, name, rung):
    res, best = _best(gaz, query)
    assert best == name
    if rung:
        assert res.best.matched_by == rung


def test_confidence_falls_down_the_ladder(gaz):
    queries = ("礼嘉街道", "渝北", "大昌街道", "guoyuangang", "礼家街道", "礼嘉街")
    conf = [gaz.resolve(q).best.confidence for q in queries]
    assert conf == sorted(conf, reverse=True)
    assert conf[0] == 1.0 and conf[-1] < 0.9


def test_fuzzy_is_below_every_exact_rung(gaz):
    res = gaz.resolve("礼嘉街")
    assert res.best.matched_by == "fuzzy"
    assert res.best.confidence < 0.8


def test_district_parameter_disambiguates(gaz):
    res = gaz.resolve("双江")
    assert res.status == "ambiguous"
    districts = {c.place.district for c in res.candidates if c.place}
    assert {"云阳县", "潼南区"} <= districts
    res = gaz.resolve("双江", district="潼南区")
    assert res.status == "resolved" and res.best.place.district == "潼南区"
    assert gaz.resolve("双江", district="不存在区").status == "invalid"


def test_ambiguity_counts_namesakes_without_coordinates(gaz):
    # 复兴街道 (北碚's until 2026, now 两江新区's) and 复兴街道 (城口) have points; 复兴镇 (忠县)
    # has none in any source.
    res = gaz.resolve("复兴")
    assert res.status == "ambiguous"
    assert {c.place.district for c in res.candidates if c.place} >= {"两江新区", "城口县"}
    assert {c.district for c in res.candidates if c.place is None} == {"忠县"}
    assert gaz.geocode("复兴") is None  # never a silent guess
    assert len(gaz.geocode("复兴", exactly_one=False)) >= 1
    assert gaz.geocode("复兴", district="两江新区").raw["district"] == "两江新区"


def test_district_beats_longer_names_starting_with_it(gaz):
    res = gaz.resolve("江北")
    assert res.status == "resolved" and res.best.place.name == "江北区"


def test_geocode_returns_geopy_location(gaz):
    loc = gaz.geocode("礼嘉")
    assert isinstance(loc, Location)
    assert loc.address == "礼嘉街道"
    assert 29.6 < loc.latitude < 29.8 and 106.4 < loc.longitude < 106.6
    for key in ("kind", "district", "adcode", "precision_m", "source", "confidence", "matched_by"):
        assert key in loc.raw
    assert loc.raw["adcode"] == "50LJ00"  # 两江新区 (渝北区 until 2026)


def test_works_as_geopandas_provider():
    gdf = geopandas.tools.geocode(["礼嘉街道", "不存在的地方xyz", "万州区"], provider=Gazetteer)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.loc[0, "address"] == "礼嘉街道"
    lijia = next(p for p in Gazetteer().places if p.name == "礼嘉街道")
    assert (gdf.geometry[0].x, gdf.geometry[0].y) == pytest.approx((lijia.lon, lijia.lat))
    assert gdf.geometry[1].is_empty
    assert gdf.loc[2, "address"] == "万州区"


@pytest.mark.parametrize("query,status", [
    ("", "invalid"), ("   \t\n", "invalid"), ("x" * (MAX_QUERY_CHARS + 1), "invalid"),
    ("a" * 100_000, "invalid"), ("\x00\x07礼嘉街道\x1b", "resolved"), ("hello world", "unresolved"),
    ("😀🏙️", "unresolved"), ("Chongqing Port Authority", "unresolved"), (None, "invalid"),
    (12345, "invalid"),
])
def test_bad_input_is_a_clear_answer_never_a_crash(gaz, query, status):
    res = gaz.resolve(query)
    assert res.status == status
    if status != "resolved":
        assert res.message
        assert gaz.geocode(query) is None


def test_reverse_gives_district_and_nearest_place(gaz):
    loc = gaz.reverse((29.679, 106.494))
    assert loc.raw["district"] == "两江新区"
    assert loc.raw["nearest"]["name"] == "礼嘉街道"
    assert loc.raw["distance_m"] < 500
    assert gaz.reverse("30.5728, 104.0660") is None  # 成都: outside Chongqing


def test_former_districts_still_answer_and_say_they_were_merged(gaz):
    from shapely.geometry import Point, shape

    loc = gaz.geocode("渝北区")
    assert loc.address == "渝北区" and loc.raw["district"] == "两江新区"
    assert loc.raw["former"] == {"merged_into": "两江新区", "effective": "2026-01-25",
                                 "approved": "2025-11-06"}
    assert "撤销" in loc.raw["message"] and "两江新区" in loc.raw["message"]
    # its shape is its old polygon, and its point lies inside the new district
    old = shape(loc.raw["geometry"])
    new = shape(gaz.geocode("两江新区").raw["geometry"])
    assert old.contains(Point(106.84, 29.85))  # 统景: old 渝北, now 北碚
    assert new.contains(Point(loc.longitude, loc.latitude))
    assert "former" not in gaz.geocode("北碚区").raw
    # a plan's "渝北区礼嘉" still finds 礼嘉, and "江北" the old district, not 江北嘴
    assert gaz.geocode("渝北区礼嘉").address == "礼嘉街道"
    assert gaz.geocode("江北").address == "江北区"


@pytest.mark.parametrize("damage", ["missing", "truncated", "binary", "bad_number"])
def test_broken_data_file_names_the_file_and_the_fix(tmp_path, damage):
    import shutil

    from gazetteer.places import GAZETTEER_DIR, PLACE_FILES, DataError, load_places

    for name in PLACE_FILES:
        shutil.copy(GAZETTEER_DIR / name, tmp_path / name)
    towns = tmp_path / "towns.csv"
    if damage == "missing":
        towns.unlink()
    elif damage == "truncated":
        towns.write_text("id,name\nt-1,某镇\n", encoding="utf-8")
    elif damage == "binary":
        towns.write_bytes(b"\xff\xfe\x00garbage\x81")
    else:
        text = towns.read_text(encoding="utf-8").splitlines()
        text[1] = text[1].replace(",town,point,", ",town,point,", 1).replace(",2000,", ",x,", 1)
        towns.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_places(tmp_path)
    assert "towns.csv" in str(err.value) and "python -m gazetteer build" in str(err.value)


def test_written_rungs_only_when_not_fuzzy(gaz):
    """A route's stops are written as places are: without fuzzy rungs a reading or a typo
    finds nothing, while a written name and a district-qualified stem still do."""
    for query in ("guoyuangang", "礼家街道", "渝北礼家街道"):
        assert gaz.resolve(query).status == "resolved", query
        assert gaz.resolve(query, fuzzy=False).status == "unresolved", query
    assert gaz.resolve("果园港", fuzzy=False).best.place.name == "果园港"
    assert gaz.resolve("渝北礼嘉", fuzzy=False).status == "resolved"


def test_derived_tables_are_shared_by_every_gazetteer_over_one_folder():
    """A new Gazetteer() over the same data is cheap: its readings and key tables come with
    the shared index, built once."""
    from gazetteer import Gazetteer

    first, second = Gazetteer(), Gazetteer()
    assert first.resolve("guoyuangang").best.place.name == "果园港"
    assert second._pinyin_index is first._pinyin_index
    assert second._sorted_keys is first._sorted_keys
