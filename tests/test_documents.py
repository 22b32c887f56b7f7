"""Plan documents parsed into section trees, for each of the layouts the plans come in."""

import shutil

import pytest

from layers.ingest.documents import parse
from layers.ingest.readers import PLANS_DIR, load_document, load_documents


@pytest.fixture(scope="module")
def docs():
    return {d.doc_id: d for d in load_documents()}


def headings(doc, kind):
    return [s.heading for s in doc.sections if s.kind == kind]


def test_layouts_are_recognised_from_the_text(docs):
    assert {k: d.layout for k, d in docs.items()} == {
        "lj14": "inline", "lj10": "wrapped", "ljcy": "lines", "cq14": "lines", "gx14": "lines"}


def test_section_offsets_point_into_the_original_text(docs):
    for doc in docs.values():
        for s in doc.sections:
            assert 0 <= s.start <= s.end <= len(doc.text)
            if s.placed_by:  # a box put back where a scrape moved its entry: starts there
                assert any(e.kind == "entry" and e.start == s.start for e in doc.sections)
            elif s.label.startswith(("第", "专栏")):
                window = "".join(doc.text[s.start:s.start + len(s.label) + 3].split())
                assert window.startswith(s.label), (doc.doc_id, s.label, window)
        parents = [s.parent for s in doc.sections if s.parent is not None]
        assert all(0 <= p < len(doc.sections) for p in parents)


def test_one_paragraph_a_line_plan_has_parts_chapters_sections_and_boxes(docs):
    doc = docs["cq14"]
    assert "第一篇 开启全面建设社会主义现代化新征程" in headings(doc, "part")
    assert "第八章 推动“一区两群”协调发展" in headings(doc, "chapter")
    assert len(headings(doc, "box")) == 20
    offset = doc.text.index("綦江蟠龙抽水蓄能电站")
    path = [s.heading for s in doc.path_at(offset)]
    assert path[-2:] == ["专栏9 重大能源项目", "电源基础设施"]
    assert any(h.startswith("第三节 完善能源保障体系") for h in path)
    # the body resumes after the box: a topic sentence is not an entry of it
    body = doc.text.index("推动主城新区扩容提质")
    assert not any(s.kind in ("box", "entry") for s in doc.path_at(body))


def test_inline_scrape_skips_the_contents_and_finds_inline_titles(docs):
    doc = docs["lj14"]
    contents_end = doc.text.index("第一章乘势而上开启新征程第一节发展基础“十三五”")
    assert not any(s.start < 1200 and s.kind == "chapter" for s in doc.sections)
    chapters = [s for s in doc.sections if s.kind == "chapter"]
    assert chapters[0].title == "乘势而上开启新征程" and chapters[0].start == contents_end
    offset = doc.text.index("分布式雷达天体成像仪验证试验场")
    path = [s.heading for s in doc.path_at(offset)]
    assert path[-2:] == ["专栏2 两江协同创新区重点项目", "两江协同创新区核心区"]


def test_word_processor_export_loses_its_bookmarks_and_keeps_numbered_items(docs):
    doc = docs["ljcy"]
    assert "[bookmark" not in doc.clean
    offset = doc.text.index("渝武高速—渝广高速连接线")
    path = [s.heading for s in doc.path_at(offset)]
    assert path == ["二、 重点任务", "（二） 建设现代基础设施网络专项行动", "4. 提升城市综合交通网络"]


def test_hard_wrapped_article_blocks_are_named_by_their_closing_line(docs):
    doc = docs["lj10"]
    blocks = [s for s in doc.sections if s.kind == "block"]
    assert len(blocks) == 10
    assert blocks[0].title == ""  # the first block has no name line
    assert blocks[3].title == "果园港枢纽港建设工程"
    assert "对标世界一流港口" in doc.excerpt(blocks[3].start, blocks[3].end)
    assert blocks[8].title == "鱼复、龙兴、水土新城建设工程"  # a name that opens its block
    assert "“枢纽+通道+网络”" in doc.clean  # hard wraps are joined


def test_a_plan_outside_the_manifest_parses_the_same(tmp_path, docs):
    """Nothing depends on the file name: a copy under another name gives the same tree."""
    copy = tmp_path / "district_plan_2026.txt"
    shutil.copy(PLANS_DIR / "003_5b117a5749a753be.txt", copy)
    doc = load_document(copy)
    assert doc.doc_id == "district_plan_2026"
    assert doc.title.startswith("重庆市国民经济和社会发展")
    assert [s.heading for s in doc.sections] == [s.heading for s in docs["cq14"].sections]


@pytest.mark.parametrize(("codec", "how"), [("gb18030", "GB18030"), ("utf-16", "UTF-16"),
                                            ("utf-8-sig", "BOM"), ("utf-8", "UTF-8")])
def test_a_plan_in_any_common_encoding_reads_the_same(tmp_path, docs, codec, how):
    """Issue 14: many Chinese systems still write GB18030/GBK; Windows tools write UTF-16 or
    a UTF-8 byte-order mark. Each reads to the same text and tree, and says how it was read."""
    name = "003_5b117a5749a753be.txt"  # cq14, the longest plan
    copy = tmp_path / name
    copy.write_bytes((PLANS_DIR / name).read_text(encoding="utf-8").encode(codec))
    doc = load_document(copy)
    assert doc.clean == docs["cq14"].clean and doc.doc_id == "cq14"
    assert [(s.heading, s.start, s.end) for s in doc.sections] == \
        [(s.heading, s.start, s.end) for s in docs["cq14"].sections]
    assert how in doc.reading


def test_a_short_gbk_file_is_read_as_gbk(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("第一章 总则\n第一节 建设果园港国家物流枢纽。".encode("gbk"))
    doc = load_document(gbk)
    assert doc.title == "第一章 总则" and "GB18030" in doc.reading


@pytest.mark.parametrize("raw", [
    "Café crème brûlée, déjà vu, naïve façade".encode("latin-1"),  # a European text
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),  # an image
    "第一章 总则".encode()[:-1] + b"\xff\xfe\x00",  # cut UTF-8 with junk
])
def test_a_file_that_is_not_chinese_text_is_refused_by_name(tmp_path, raw):
    bad = tmp_path / "not-a-plan.txt"
    bad.write_bytes(raw)
    with pytest.raises(ValueError, match="not-a-plan.txt.*不是可识别的文本"):
        load_document(bad)


def test_bad_files_get_clear_messages(tmp_path):
    with pytest.raises(ValueError, match="无法读取"):
        load_document(tmp_path / "missing.txt")
    empty = parse("", "empty")
    assert empty.sections == [] and empty.title == ""
