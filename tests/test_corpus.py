"""The incremental, parallel build: each plan ingested once per content and rules version,
in worker processes, with the same projects as a build from scratch."""

import shutil
import threading

import pytest

from layers.ingest import corpus
from layers.ingest import projects as projects_module
from layers.ingest.corpus import NamesCache, ingest
from layers.ingest.library import manifest
from layers.ingest.projects import extract_projects, merge_plans
from layers.ingest.readers import PLANS_DIR, load_documents

# two small plans and a middling one: lj10 (news), ljcy (action plan), gx14 (an outline)
SMALL = ("001_7b9a8881637c2cd9.txt", "002_84858ac6832b8e53.txt", "004_38f0e5f463b7fc57.txt")


@pytest.fixture()
def plans(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(PLANS_DIR / name, folder / name)
    return [folder / name for name in SMALL]


def test_cached_names_make_the_projects_a_fresh_extraction_makes(plans, tmp_path, gaz):
    expected = extract_projects(load_documents(plans, manifest()), gaz)
    plan_names, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 1)
    assert ingested == 3
    # a new process would find them on disk
    again, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 1)
    assert ingested == 0 and again == plan_names
    assert merge_plans(again, gaz) == expected
    assert {p.doc_ids[0] for p in expected} == {"lj10", "ljcy", "gx14"}


def test_changing_one_plan_ingests_that_plan_only(plans, tmp_path, gaz):
    cache = NamesCache(tmp_path / "c")
    ingest(plans, manifest(), gaz, "v1", cache, 1)
    before = sorted((tmp_path / "c" / "names").glob("*.pickle"))
    with open(plans[0], "a", encoding="utf-8") as f:
        f.write("\n推进礼嘉智慧公园二期工程建设。\n")
    seen = []
    names, ingested = ingest(plans, manifest(), gaz, "v1", cache, 1,
                             progress=lambda done, total: seen.append((done, total)))
    assert ingested == 1 and seen == [(0, 1), (1, 1)]
    assert "礼嘉智慧公园二期工程" in {n.name for n in names[0].namings}
    after = sorted((tmp_path / "c" / "names").glob("*.pickle"))
    # the old version of the changed plan is forgotten, the others kept
    assert len(after) == 3 and len(set(before) & set(after)) == 2
    # a manifest row is part of what a plan's names depend on (its district comes from its title)
    row = {**manifest()[SMALL[1]], "title": "重庆高新区专项行动方案"}
    _, ingested = ingest(plans, {**manifest(), SMALL[1]: row}, gaz, "v1", cache, 1)
    assert ingested == 1


def test_new_rules_version_ingests_every_plan(plans, tmp_path, gaz):
    cache = NamesCache(tmp_path / "c")
    ingest(plans, manifest(), gaz, "v1", cache, 1)
    _, ingested = ingest(plans, manifest(), gaz, "v2", cache, 1)
    assert ingested == 3


def test_a_damaged_cache_file_is_ingested_again(plans, tmp_path, gaz):
    ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 1)
    for path in (tmp_path / "c" / "names").glob("*.pickle"):
        path.write_bytes(b"\x80\x05not a pickle")
    names, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 1)
    assert ingested == 3 and all(n.namings for n in names)


def test_located_projects_are_not_located_again(plans, gaz, monkeypatch):
    names, _ = ingest(plans, manifest(), gaz, "v1", NamesCache(None), 1)
    located: dict = {}
    first = merge_plans(names, gaz, {}, located)
    assert len(located) == len(first)

    def no_locating(*args, **kwargs):
        raise AssertionError("located again")

    monkeypatch.setattr(projects_module, "locate", no_locating)
    assert merge_plans(names, gaz, located) == first


def test_two_worker_processes_give_what_one_gives(plans, gaz, tmp_path):
    one, _ = ingest(plans, manifest(), gaz, "v1", NamesCache(None), 1)
    two, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 2)
    assert ingested == 3 and two == one
    # the workers wrote what they found to the cache: another process reads it from there
    again, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(tmp_path / "c"), 2)
    assert ingested == 0 and again == one


def test_the_workers_locate_projects_as_this_process_does(plans, gaz, monkeypatch):
    """A cold build of many projects locates them over the workers too: the same fields, in
    order, as locating each here; the parent meanwhile did its own work, once."""
    monkeypatch.setattr(corpus, "LOCATE_IN_WORKERS_FROM", 64)  # three plans: a big corpus's way
    names, _ = ingest(plans, manifest(), gaz, "v1", NamesCache(None), 1)
    here = merge_plans(names, gaz)
    calls = []
    with corpus.BuildPool(2, gaz) as pool:
        _, ingested = ingest(plans, manifest(), gaz, "v1", NamesCache(None), pool=pool,
                             meanwhile=lambda: calls.append(1))
        assert pool.executor is not None and ingested == 3 and calls == [1]
        sent = []
        real = pool.executor.map
        pool.executor.map = lambda fn, chunks: sent.extend(chunks) or real(fn, chunks)
        shared = merge_plans(names, gaz, locate_all=pool.locate_all)
    assert len(here) >= corpus.LOCATE_IN_WORKERS_FROM and sum(map(len, sent)) == len(here)
    assert shared == here


def test_workers_beside_other_threads_start_fresh_processes(plans, gaz):
    """In an app server (other threads running) workers are forkserver processes with their
    own gazetteer: forking a threaded process could copy a lock another thread holds."""
    one, _ = ingest(plans[:2], manifest(), gaz, "v1", NamesCache(None), 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert corpus._pool_context().get_start_method() == "forkserver"
        two, _ = ingest(plans[:2], manifest(), gaz, "v1", NamesCache(None), 2)
    finally:
        stop.set()
        other.join()
    assert two == one


def test_a_plan_no_reader_takes_is_named_from_a_worker(plans, tmp_path, gaz):
    bad = tmp_path / "plans" / "broken.txt"
    bad.write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(ValueError, match="broken.txt"):
        ingest([*plans, bad], manifest(), gaz, "v1", NamesCache(None), 2)


def test_build_reports_what_it_took_from_the_cache(plans, tmp_path, gaz):
    from layers.build import build

    out = tmp_path / "out" / "layers.gpkg"
    first = build(plans, out=out, gazetteer=gaz, workers=1)
    again = build(plans, out=out, gazetteer=gaz, workers=1)
    assert (first["plans"], first["ingested"]) == (3, 3)
    assert (again["plans"], again["ingested"]) == (3, 0)
    columns = [c for c in first["layers"]["projects"].columns if c != "geometry"]
    assert first["layers"]["projects"][columns].equals(again["layers"]["projects"][columns])
    assert list(first["layers"]["projects"].geometry) == list(again["layers"]["projects"].geometry)


def rows_by_id(frame):
    """A projects layer as comparable rows, whatever their order in the file."""
    frame = frame.sort_values("id").reset_index(drop=True)
    return (frame.drop(columns="geometry").to_json(force_ascii=False),
            [None if g is None else g.wkb for g in frame.geometry])


def test_a_rebuild_rewrites_only_the_projects_that_changed(plans, tmp_path, gaz):
    """The process that built a GeoPackage rewrites only the rows of projects that changed:
    here a plan is taken out (its own projects go, those it shared lose a source) and another
    gains a project. The file then holds what a build from scratch writes (the new rows come
    last in it, and are read back in the plans' order), its spatial index too. A file another process replaced
    since is written whole."""
    import os

    import pyogrio

    from layers.build import build
    from layers.export import read_gpkg

    out = tmp_path / "out" / "layers.gpkg"
    first = build(plans, out=out, gazetteer=gaz, workers=1)["layers"]["projects"]
    with open(plans[2], "a", encoding="utf-8") as f:
        f.write("\n加快建设果园港多式联运示范工程。\n")
    again = build(plans[1:], out=out, gazetteer=gaz, workers=1)
    new = again["layers"]["projects"]
    only_first = set(first["id"]) - set(new["id"])
    assert only_first and "果园港多式联运示范工程" in set(new["name"])
    assert 0 < again["rewritten"] < len(new) / 5
    written = read_gpkg(out, "projects")
    assert not only_first & set(written["id"])
    (added,) = new[new["name"] == "果园港多式联运示范工程"].geometry
    found = pyogrio.read_dataframe(out, layer="projects", bbox=added.buffer(1e-6).bounds)
    assert "果园港多式联运示范工程" in set(found["name"])  # GDAL's R-tree triggers ran
    scratch = build(plans[1:], out=tmp_path / "scratch" / "layers.gpkg", gazetteer=gaz,
                    workers=1)["layers"]
    assert rows_by_id(written) == rows_by_id(new) == rows_by_id(scratch["projects"])
    # read back in the plans' order, as a build from scratch writes it
    assert list(written["id"]) == list(new["id"]) == list(scratch["projects"]["id"])
    assert list(pyogrio.read_dataframe(out, layer="projects")["id"]) != list(written["id"])
    for layer in ("places", "sectors", "districts"):
        assert len(read_gpkg(out, layer)) == len(scratch[layer])
    os.utime(out, ns=(1, 1))  # as if another process had written it
    assert build(plans[1:], out=out, gazetteer=gaz, workers=1)["rewritten"] == len(new)


def test_the_rules_version_follows_the_rules_and_the_gazetteer_folder(tmp_path):
    from types import SimpleNamespace

    from layers.ingest.corpus import rules_version

    rules = tmp_path / "rules.yaml"
    rules.write_text("a: 1", encoding="utf-8")
    folder = tmp_path / "gazetteer"
    folder.mkdir()
    (folder / "places.csv").write_text("id,name\n1,果园港\n", encoding="utf-8")
    gazetteer = SimpleNamespace(directory=folder)
    first = rules_version([rules], gazetteer)
    assert rules_version([rules], gazetteer) == first
    (folder / "places.csv").write_text("id,name\n1,果园港\n2,礼嘉\n", encoding="utf-8")
    second = rules_version([rules], gazetteer)
    rules.write_text("a: 2", encoding="utf-8")
    assert len({first, second, rules_version([rules], gazetteer)}) == 3


def test_merging_again_only_what_changed_gives_the_whole_merge(plans, tmp_path, gaz):
    """After a plan changed, was removed or was added (here a copy of another plan, sharing
    all its names), merging the names those plans hold and keeping every other project gives
    what merging every plan gives; plans kept in another order are merged whole."""
    from types import SimpleNamespace

    from layers.build import _merged
    from layers.ingest.projects import changed_keys

    copy = tmp_path / "plans" / "009_copy.txt"
    shutil.copy(plans[0], copy)
    names, _ = ingest([*plans, copy], manifest(), gaz, "v1", NamesCache(None), 1)
    a, b, c, d = names
    with open(plans[1], "a", encoding="utf-8") as f:
        f.write("\n加快建设果园港多式联运示范工程、礼嘉智慧公园二期。\n")
    (b2,), _ = ingest([plans[1]], manifest(), gaz, "v1", NamesCache(None), 1)
    assert b2.keys - b.keys
    located: dict = {}
    before = SimpleNamespace(plans={p.doc_id: p for p in (a, b, c)},
                             projects={p.id: p for p in merge_plans([a, b, c], gaz, {}, located)},
                             located=located)
    in_process = SimpleNamespace(locate_all=None)
    for now in ([a, b2, c], [a, c], [a, d, b, c], [b, c]):
        only = changed_keys(before.plans, now)
        assert only is not None and len(only) < len(set().union(*(p.keys for p in now)))
        merged, _ = _merged(now, gaz, {}, in_process, before)
        assert merged == merge_plans(now, gaz)
    assert changed_keys(before.plans, [c, a, b]) is None
    merged, _ = _merged([c, a, b], gaz, {}, in_process, before)
    assert merged == merge_plans([c, a, b], gaz)


def test_a_name_merged_again_is_still_a_fragment_of_a_plan_kept(gaz):
    """水土新城建设工程, read only in passing, is a piece of a longer name in each plan naming it:
    of 龙兴水土新城建设工程 in plan A (kept) and of 鱼复水土新城建设工程 in plan B (changed).
    Merged again for B's sake, it is still dropped: A's longer name counts though A's
    projects are not merged again."""
    from types import SimpleNamespace

    from layers.build import _merged
    from layers.ingest.model import Source
    from layers.ingest.names import name_key
    from layers.ingest.projects import Naming, PlanNames

    def plan(doc, names, extra=()):
        namings = [Naming(name_key(name), name, Source(doc, ("一、重点项目",), i * 40, i * 40 + 30,
                                                        f"推进{name}。", found_by), "")
                   for i, (name, found_by) in enumerate([*names, *extra])]
        return PlanNames(doc, None, tuple(namings))

    piece = ("水土新城建设工程", "entity")
    a = plan("A", [("龙兴水土新城建设工程", "list"), piece])
    b = plan("B", [("鱼复水土新城建设工程", "list"), piece])
    b2 = plan("B", [("鱼复水土新城建设工程", "list"), piece], [("寸滩国际新城建设工程", "list")])
    whole = merge_plans([a, b2], gaz)
    assert "水土新城建设工程" not in {p.name for p in whole} and len(whole) == 3
    before = SimpleNamespace(plans={"A": a, "B": b}, projects={p.id: p for p in
                                                               merge_plans([a, b], gaz)},
                             located={})
    merged, _ = _merged([a, b2], gaz, {}, SimpleNamespace(locate_all=None), before)
    assert merged == whole


def test_a_new_process_reads_the_layers_of_the_rules_version_from_the_cache(
        plans, tmp_path, gaz, monkeypatch):
    """Places, sectors and districts depend on the rules alone: a build in a new process (its
    memory empty) takes them from the cache beside the file rather than making them again;
    a damaged cache file is made again."""
    import layers.build as build_module

    out = tmp_path / "out" / "layers.gpkg"
    monkeypatch.setattr(build_module, "_BY_VERSION", {})
    first = build_module.build(plans, out=out, gazetteer=gaz, workers=1)["layers"]
    kept = sorted(p.name for p in build_module.cache_dir(out).glob("layer-*.pickle"))
    assert [name.split("-")[1] for name in kept] == ["districts", "places", "sectors"]
    monkeypatch.setattr(build_module, "_BY_VERSION", {})

    def never(*args):
        raise AssertionError("made again")

    monkeypatch.setattr(build_module, "sectors_frame", never)
    again = build_module.build(plans, out=out, gazetteer=gaz, workers=1)["layers"]
    assert again["sectors"].to_json() == first["sectors"].to_json()
    (build_module.cache_dir(out) / kept[2]).write_bytes(b"cut short")
    monkeypatch.setattr(build_module, "_BY_VERSION", {})
    with pytest.raises(AssertionError, match="made again"):
        build_module.build(plans, out=out, gazetteer=gaz, workers=1)
