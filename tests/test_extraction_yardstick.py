"""Extraction held to the hand-read yardstick: every fixture project found today stays found,
every recorded miss stays a miss until misses.yaml is rewritten (so the list stays true), and
the labelled precision sample keeps its floor. Figures: benchmarks/extraction.py."""

import pytest
import yaml

from tests.yardstick import (
    MISSES_FILE,
    PRECISION_SAMPLES,
    fixture_key,
    precision,
    recall,
    yardstick_files,
)

MISSES = yaml.safe_load(MISSES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", yardstick_files(), ids=fixture_key)
def test_fixture_recall_matches_the_recorded_misses(path, extracted):
    hit, total, missed = recall(extracted, path)
    recorded = MISSES[fixture_key(path)]
    newly_found = sorted(set(recorded) - set(missed))
    lost = sorted(set(missed) - set(recorded))
    assert not newly_found, f"found now, rewrite misses.yaml: {newly_found}"
    assert not lost, f"no longer found: {lost}"
    assert total >= 30 and hit + len(missed) == total


def test_names_read_as_named_in_passing_are_not_projects(extracted):
    from tests.yardstick import named_in_passing

    passing = {fixture_key(p): named_in_passing(extracted, p) for p in yardstick_files()}
    assert not any(passing.values()), passing


def test_every_fixture_file_has_recorded_misses():
    assert sorted(MISSES) == sorted(fixture_key(p) for p in yardstick_files())


# 专栏 section paths of the found fixture projects, measured 2026-11-29: cq14 497/498, gx14 106/111
# (held out; the bar is 0.95), lj14 184/189 once the entries its scrape moved away from
# their box are placed back (layers/ingest/boxes.py; 89/187 before)
SECTION_FLOORS = {"boxes/cq14": 0.99, "boxes/gx14": 0.95, "boxes/lj14": 0.95}


@pytest.mark.parametrize("key", sorted(SECTION_FLOORS))
def test_box_section_paths(key, extracted):
    from tests.yardstick import FIXTURES, box_sections

    right, checked = box_sections(extracted, FIXTURES / f"{key}.yaml")
    assert checked >= 100 and right / checked >= SECTION_FLOORS[key], (right, checked)


# real / still extracted, per labelled sample (tests/yardstick.py PRECISION_SAMPLES says which
# rules each shaped). Sample 3 was 122/150 when labelled untuned at 2e395b0, sample 4 119/150
# at 7b0d85b. After the rules read from sample 4 (heads lent to places, positions, kinds laid
# out or ending 设施, counts behind a size word), measured 2026-11-29: sample 1 102/122,
# sample 2 106/126, sample 3 122/138, sample 4 119/136. Sample 5 (held out, drawn at aca0a83):
# 122/150 when labelled, and at 32a1eb8.
PRECISION_FLOORS = {"precision_sample.yaml": 0.83, "precision_sample_2.yaml": 0.84,
                    "precision_sample_3.yaml": 0.88, "precision_sample_4.yaml": 0.87,
                    "precision_sample_5.yaml": 0.81}


@pytest.mark.parametrize("sample", PRECISION_SAMPLES)
def test_labelled_sample_precision(sample, extracted):
    kept, gone = precision(extracted, sample)
    assert sum(kept.values()) + sum(gone.values()) == 150
    assert gone["real"] == 0, "a name labelled real is no longer extracted"
    assert kept["real"] / sum(kept.values()) >= PRECISION_FLOORS[sample]


def test_every_sample_has_a_floor():
    assert sorted(PRECISION_FLOORS) == sorted(PRECISION_SAMPLES)


# right / judged per hand-judged geometry sample (tests/yardstick.py GEOMETRY_SAMPLES). Sample 1:
# 27 of 38 when labelled; the geometry rules written after reading it (blocks are areas, a
# label's place beats the name's district, a route's stops resolve one by one, lists take their
# label, "在 X 打造…" says where, a one-site work whose description names several places is
# left to place by hand) bring 30 of 35. Sample 2 (drawn at 7b0d85b): 31 of 40 untuned; then
# read for the aside, chain-sibling and whole-scenic-area rules and the rebased recalled rows:
# sample 1 33 of 34, sample 2 37 of 39.
# Sample 3 (seed 20261206, drawn at 9315cbf): 35 of 40 by its reader, 36 of 40 by this judge at
# 61faf6c (the judge saw only the places a route's line was drawn from, not its far stop);
# then read for border routes, outside short names, two rebased recalled rows and 沿…: 38/39.
# Sample 4 (seed 20261208, drawn at 9b21545, held out): 36 of 40 by its reader and this judge.
GEOMETRY_FLOORS = {"geometry_sample.yaml": 0.97, "geometry_sample_2.yaml": 0.94,
                   "geometry_sample_3.yaml": 0.97, "geometry_sample_4.yaml": 0.90}


@pytest.mark.parametrize("name", sorted(GEOMETRY_FLOORS))
def test_geometry_sample(name, extracted):
    from tests.yardstick import FIXTURES, geometry_right

    sample = yaml.safe_load((FIXTURES / "labels" / name).read_text(encoding="utf-8"))["items"]
    assert len(sample) == 40 and all(row["right"] is not None for row in sample)
    right, judged, wrong = geometry_right(extracted, sample)
    # most sampled projects must still be located to judge (a name read whole since may have
    # lost the place its cut-short form borrowed: 创新体验中心 → 中国汽研…创新体验中心, unlocated)
    assert judged >= 0.8 * len(sample), (judged, len(sample))
    assert right / judged >= GEOMETRY_FLOORS[name], wrong
