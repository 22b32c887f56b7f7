"""Issue 14 (3): review decisions (审核) — kept like annotations, applied to their project at
once, and, when they name a place, gazetteer entries the next plan resolves with."""

import pytest
from shapely.geometry import Point

from layers.notes.corrections import apply_corrections, corrections
from layers.notes.model import AnnotationError
from layers.notes.store import AnnotationStore
from tests.test_annotations import location, store  # noqa: F401  (SQLite and PostGIS)


def test_decisions_are_kept_apart_from_annotations_with_history(store):  # noqa: F811
    note = store.add(Point(106.5, 29.5), "普通标注", "甲")
    here = store.decide("p-1", "point", "甲", Point(106.6, 29.6), mention="云栖谷",
                        precision_m=80)
    nowhere = store.decide("p-2", "none", "乙", note="是政策，不是工程")
    assert list(store.list()["id"]) == [note]  # the notes page and map never see decisions
    decisions = store.list(kind="decision")
    assert list(decisions["id"]) == [here, nowhere]
    assert decisions.iloc[0]["detail"] == {"decision": "point", "mention": "云栖谷",
                                           "precision_m": 80.0}
    assert decisions.iloc[1].geometry.is_empty
    assert store.list(bbox=(100, 20, 110, 35), kind="decision")["id"].tolist() == [here]
    assert [v.action for v in store.history(nowhere)] == ["decide"]
    store.delete(nowhere, author="乙")  # undo
    assert store.list(kind="decision")["id"].tolist() == [here]
    with pytest.raises(AnnotationError, match="没有位置"):
        store.decide("p-3", "none", "甲", Point(106, 29))
    with pytest.raises(AnnotationError, match="请给出位置"):
        store.decide("p-3", "point", "甲")
    with pytest.raises(AnnotationError, match="未知的审核决定"):
        store.decide("p-3", "maybe", "甲", Point(106, 29))
    with pytest.raises(AnnotationError, match="须指明项目"):
        store.decide("", "none", "甲")


def test_a_version_1_store_is_migrated_and_keeps_its_notes(tmp_path):
    from layers.notes.backends import SQLiteBackend

    path = tmp_path / "old.sqlite"
    old = SQLiteBackend(path)

    def version_1(run):
        run("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        for statement in SQLiteBackend.schema[1].split(";"):
            if statement.strip():
                run(statement)
        run("INSERT INTO meta VALUES ('schema_version', '1')")
        run("INSERT INTO annotations VALUES ('a1', '{\"type\": \"Point\", \"coordinates\": "
            "[106.5, 29.5]}', 106.5, 29.5, 106.5, 29.5, '旧标注', '甲', '[]', 'open', NULL, "
            "'2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00', 1)")

    old.write(version_1)
    migrated = AnnotationStore(path)
    (row,) = migrated.list().itertuples()
    assert row.note == "旧标注" and row.kind == "note" and row.detail == {}
    assert migrated._db.read("SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]


def test_a_decision_moves_its_project_or_takes_it_off_the_map(store, cat):  # noqa: F811
    review = cat.projects[cat.projects["status"] == "review"]
    moved, off = review["id"].iloc[0], review["id"].iloc[1]
    store.decide(moved, "point", "甲", Point(106.55, 29.56))
    store.decide(off, "none", "甲")
    fixed = apply_corrections(cat.projects, corrections(store.list(kind="decision")))
    one = fixed.set_index("id").loc[moved]
    assert one["status"] == "corrected" and one.geometry.equals(Point(106.55, 29.56))
    two = fixed.set_index("id").loc[off]
    assert two["status"] == "no_location" and two.geometry is None
    assert two["geometry_kind"] == "none"
    untouched = fixed[~fixed["id"].isin([moved, off])]
    assert (untouched["status"].values == cat.projects.set_index("id").loc[
        untouched["id"], "status"].values).all()


def test_a_decided_place_resolves_the_next_plan(tmp_path, monkeypatch, gaz):
    """云栖谷 pointed on the map, and this 鹿鸣湾 is 武隆区白马镇: a new plan naming either is
    located from the planners' entries (source: planner <name> <date>)."""
    from gazetteer import Gazetteer
    from gazetteer.planner import planner_file
    from layers.ingest.documents import parse
    from layers.ingest.projects import extract_projects
    from layers.notes.decisions import publish_planner_places

    monkeypatch.setenv("PLANMAP_DATA_DIR", str(tmp_path))
    plan = parse("第一章 重点项目\n推进云栖谷商务综合体、鹿鸣湾游客中心等项目建设。\n", "new")
    before = {p.name: p for p in extract_projects([plan], Gazetteer())}
    assert before["云栖谷商务综合体"].status == before["鹿鸣湾游客中心"].status == "unlocated"
    baima = next(p for p in gaz.places if p.name.startswith("白马") and p.district == "武隆区")
    decisions = AnnotationStore(tmp_path / "decisions.sqlite")
    decisions.decide("p-x", "point", "王工", Point(106.62, 29.66), mention="云栖谷",
                 precision_m=80)
    decisions.decide("p-y", "place", "王工", Point(baima.lon, baima.lat), mention="鹿鸣湾",
                 place_id=baima.id)
    assert publish_planner_places(decisions, gaz) == 2
    assert planner_file().is_relative_to(tmp_path)
    fresh = Gazetteer()  # the next build's gazetteer
    entry = fresh.resolve("云栖谷").best.place
    assert entry.source.startswith("planner 王工 ") and entry.precision_m == 80
    after = {p.name: p for p in extract_projects([plan], fresh)}
    centre = after["云栖谷商务综合体"]
    assert centre.status != "unlocated"
    assert centre.geometry.distance(Point(106.62, 29.66)) < 1e-6
    lodge = after["鹿鸣湾游客中心"]
    assert lodge.status != "unlocated"
    assert lodge.geometry.distance(Point(baima.lon, baima.lat)) < 1e-6
    # undone, the entry goes with the next publication
    decisions.delete(decisions.list(kind="decision")["id"].iloc[0], author="王工")
    assert publish_planner_places(decisions, gaz) == 1
    assert Gazetteer().resolve("云栖谷").best is None or \
        not Gazetteer().resolve("云栖谷").best.place.source.startswith("planner")
    decisions.delete(decisions.list(kind="decision")["id"].iloc[0], author="王工")
    assert publish_planner_places(decisions, gaz) == 0
    assert not planner_file().exists()  # no entries, no file: the open-data index again
    assert Gazetteer().index is gaz.index


def test_a_link_to_a_project_says_whether_it_is_unlocated_or_gone(cat, store):  # noqa: F811
    """A link to a project a planner located opens it (the map reads links as it shows the
    catalogue, decisions applied); one still unlocated says so by name."""
    unlocated = cat.projects[cat.projects["status"] == "unlocated"].iloc[0]
    state, problems = cat.state_from_query({"focus": f"project:{unlocated['id']}"})
    assert state.focus == "" and problems == [f"链接中的“{unlocated['name']}”未定位，无法在地图上显示"]
    state, problems = cat.state_from_query({"focus": "project:p-0000000000"})
    assert "不存在" in problems[0]
    store.decide(unlocated["id"], "point", "甲", Point(106.5, 29.5))
    shown = cat.with_corrections(corrections(store.list(kind="decision")))
    state, problems = shown.state_from_query({"focus": f"project:{unlocated['id']}"})
    assert state.focus == f"project:{unlocated['id']}" and problems == []
