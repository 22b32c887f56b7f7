"""Extraction measured against hand-checked fixtures (tests/fixtures/ingest/*.yaml).

The rules (data/ingest/rules.yaml) were tuned by reading lj14, lj10, ljcy and cq14: on those
every fixture project must be found with its places and section path, except the reviewed
misses each fixture lists with its reason. gx14 is held out: nothing was tuned on it, and its
test asserts a recall floor and a negative ceiling instead of every item.
"""

from pathlib import Path

import pytest
import yaml

from layers.ingest.names import name_key
from tests.yardstick import find
from tests.yardstick import found_by_doc as by_doc

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
TUNED = ("lj14", "lj10", "ljcy", "cq14")
HELD_OUT = "gx14"


def load_fixture(doc_id):
    with open(FIXTURES / f"{doc_id}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def place_problems(gaz, project, expected_places):
    """Each expected place the gazetteer locates must be one of the project's places, or be
    written inside one (寸滩 in 寸滩邮轮母港), or — a district — contain one."""
    ids = {r.place_id for r in project.places}
    texts = [t for r in project.places for t in r.texts]
    adcodes = {gaz.place(i).adcode for i in ids if i}
    problems = []
    for name in expected_places:
        hits = [m for m in gaz.find_places(name)
                if m.place_id and m.start == 0 and m.end == len(name)]
        if not hits:
            continue  # outside Chongqing or unknown to the gazetteer: nothing to locate
        place = gaz.place(hits[0].place_id)
        ok = (place.id in ids or any(name in t for t in texts)
              or (place.kind == "district" and place.adcode in adcodes))
        if not ok:
            problems.append(name)
    return problems


def section_problems(project, doc_id, expected):
    paths = [" > ".join(s.sections) for s in project.sources if s.doc_id == doc_id]
    return [x for x in expected if not any(x in path for path in paths)]


@pytest.mark.parametrize("doc_id", TUNED)
def test_tuned_plan_projects_match_fixture(doc_id, extracted, gaz):
    fx = load_fixture(doc_id)
    misses = fx.get("known_misses") or {}
    found = by_doc(extracted, doc_id)
    problems = []
    for e in fx["projects"]:
        known = misses.get(e["name"], {})
        project = find(found, e["name"])
        if project is None:
            if "name" not in known:
                problems.append(f"missing: {e['name']}")
            continue
        assert "name" not in known, f"{e['name']} is found now: drop it from known_misses"
        if "places" not in known:
            bad = place_problems(gaz, project, e["places"])
            if bad:
                problems.append(f"{e['name']}: places {bad} not in {[r.text for r in project.places]}")
        if "section" not in known:
            bad = section_problems(project, doc_id, e["section"])
            if bad:
                problems.append(f"{e['name']}: section {bad}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc_id", (*TUNED, HELD_OUT))
def test_slogans_and_generic_nouns_are_not_projects(doc_id, extracted):
    fx = load_fixture(doc_id)
    found = by_doc(extracted, doc_id)
    hits = [n for n in fx["not_projects"] if name_key(n) in found]
    limit = 2 if doc_id == HELD_OUT else 0
    assert len(hits) <= limit, hits


def test_held_out_plan_recall(extracted):
    fx = load_fixture(HELD_OUT)
    found = by_doc(extracted, HELD_OUT)
    hits = [e["name"] for e in fx["projects"] if find(found, e["name"])]
    assert len(hits) / len(fx["projects"]) >= 0.6, sorted(
        {e["name"] for e in fx["projects"]} - set(hits))


def test_all_ten_major_projects_of_the_article(extracted, gaz):
    """The 十大工程: every one found, as a block of the article, with its places."""
    found = by_doc(extracted, "lj10")
    fx = load_fixture("lj10")
    names = [e["name"] for e in fx["projects"]]
    assert len(names) == 10
    for name in names:
        project = found[name_key(name)]
        assert any(s.found_by == "block" for s in project.sources), name
    texts = {name: {t for r in found[name_key(name)].places for t in r.texts}
             for name in names}
    assert "果园港" in texts["果园港枢纽港建设工程"]
    assert {"礼嘉", "悦来"} <= texts["礼嘉悦来智慧园建设工程"]
    assert "明月湖" in texts["两江协同创新区建设工程"]


def field_accuracy(extracted, doc_ids) -> dict[str, tuple[int, int]]:
    """(agreeing, compared) for each fixture field over the fixture projects found: ``category``,
    and ``kind`` (the geometry kind; an unlocated project's "none" never agrees, so locating
    fewer cannot raise the figure)."""
    counts = {"category": [0, 0], "kind": [0, 0]}
    for doc_id in doc_ids:
        found = by_doc(extracted, doc_id)
        for e in load_fixture(doc_id)["projects"]:
            project = find(found, e["name"])
            if project is None:
                continue
            counts["category"][0] += project.category == e["category"]
            counts["category"][1] += 1
            counts["kind"][0] += project.geometry_kind == e["kind"]
            counts["kind"][1] += 1
    return {k: tuple(v) for k, v in counts.items()}


# Floors at the figures measured when the fields were first asserted (2026-11-29): category
# and geometry kind were never tuned against the fixtures, so the tuned plans' figures are
# not inflated; the extraction issue raises them. A drop below is a regression.
# Measured then: tuned category 58/82 = 0.71, kind 37/82 = 0.45; held out 17/18 = 0.94,
# kind 10/18 = 0.56.
# The held-out kind floor went 0.55 → 0.54 when three more gx14 works were found whole
# (重庆国家应用数学中心 …) that no place locates yet: "none" never agrees (12/22).
FIELD_FLOORS = {"tuned": {"category": 0.70, "kind": 0.45},
                "held_out": {"category": 0.90, "kind": 0.54}}


@pytest.mark.parametrize("which", ("tuned", "held_out"))
def test_fixture_category_and_geometry_kind(which, extracted):
    doc_ids = TUNED if which == "tuned" else (HELD_OUT,)
    accuracy = field_accuracy(extracted, doc_ids)
    for name, (agree, compared) in accuracy.items():
        assert compared >= 10, (name, compared)
        assert agree / compared >= FIELD_FLOORS[which][name], (which, name, agree, compared)
