"""Boxes (专栏) a web scrape moved away from their headings, placed back by the box structure
(layers/ingest/boxes.py): numbering, a moved heading, interleaving, copies."""

import pytest

from layers.ingest.documents import parse
from layers.ingest.readers import load_documents


@pytest.fixture(scope="module")
def docs():
    return {d.doc_id: d for d in load_documents()}


def box_of(doc, label_text):
    """The 专栏 heading on the path of the entry labelled ``label_text``."""
    entry = next(s for s in doc.sections if s.kind == "entry" and s.title == label_text)
    path = doc.path_at(entry.start)
    return next((s for s in path if s.kind == "box"), None)


# One inline scrape, as lj14's: 专栏1 and 专栏3 stay in order; 专栏2's heading was moved to the
# end, one of its entries (乙类) sits in the body between 专栏1 and 专栏3, and a copy of that
# entry runs inside 专栏3's box; 专栏3's second entry comes after the body resumed.
SCRAPE = (
    "第一章 总则。第一节 目标。推进高质量发展。专栏1交通重点项目铁路：推进甲线、乙线等项目。"
    "加快推进改革开放。乙类：推动丙基地、丁基地等项目建设。继续推进改革。"
    "专栏3能源重点项目电网：新建戊变电站、己变电站等项目。乙类：推动丙基地、丁基地等项目建设。"
    "深化改革创新。燃气：新建庚管道工程、辛储气库等项目。"
    "第二节 任务。完善体制机制。第三节 措施。加强统筹协调。"
    "第二章 保障。第一节 组织实施。加强组织领导。专栏2产业重点项目甲类：推动壬园、癸园等项目。"
    "强化监督。丙类：推动子园、丑园等项目。2．5G：即第五代移动通信、新一代通信技术。"
    "第二节 监督。强化考核。第三节 评估。开展中期评估。第四节 宣传。营造良好氛围。"
)


def test_an_entry_between_two_boxes_goes_to_the_one_number_missing_between_them():
    doc = parse(SCRAPE, "t")
    assert doc.layout == "inline"
    box = box_of(doc, "乙类")
    assert box.label == "专栏2" and box.placed_by == "numbering"
    assert box.heading == "专栏2 产业重点项目（位置推定）"
    # it stays inside the chapter it is written in
    assert doc.path_at(box.start)[0].title == "总则"


def test_a_copy_in_another_boxs_run_follows_the_placed_copy():
    doc = parse(SCRAPE, "t")
    entries = [s for s in doc.sections if s.kind == "entry" and s.title == "乙类"]
    assert len(entries) == 2
    assert {doc.path_at(e.start)[-2].label for e in entries} == {"专栏2"}


def test_entries_after_the_body_resumed_stay_with_the_box_before_them():
    doc = parse(SCRAPE, "t")
    box = box_of(doc, "燃气")
    assert box.label == "专栏3" and box.placed_by == "interleaved"
    assert box_of(doc, "电网").label == "专栏3" and not box_of(doc, "电网").placed_by


def test_entries_after_a_moved_heading_go_with_it_and_notes_stay_out():
    doc = parse(SCRAPE, "t")
    box = box_of(doc, "丙类")
    assert box.label == "专栏2" and box.placed_by == "moved"
    assert box_of(doc, "甲类").label == "专栏2"  # in its own run
    assert not any(s.kind == "entry" and s.title.startswith("2") for s in doc.sections)


def test_a_plan_laid_out_line_by_line_is_left_as_written(docs):
    for doc_id in ("cq14", "gx14"):
        assert not any(s.placed_by for s in docs[doc_id].sections)


def test_lj14_manufacturing_entries_are_back_in_their_box(docs):
    doc = docs["lj14"]
    box = box_of(doc, "新一代信息技术")
    assert box.label == "专栏5" and box.title == "先进制造业重点项目"
    placed = [s for s in doc.sections if s.placed_by]
    assert 20 <= len(placed) <= 60
