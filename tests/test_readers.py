"""Issue 14: plans in the formats planners receive give the projects their plain text gives.
Each format is generated here from the seed plans' texts."""

import io
import zipfile

import pytest

from layers.ingest.html import html_text
from layers.ingest.projects import extract_projects
from layers.ingest.readers import (
    PLANS_DIR,
    load_document,
    load_documents,
    plan_files,
    read_manifest,
)
from tests.plan_files import RUNNING_HEAD, as_docx, as_government_page, as_pdf


def spaced(sections) -> tuple[str, ...]:
    return tuple(" ".join(s.split()) for s in sections)


def by_name(projects) -> dict:
    return {p.name: p for p in projects}


@pytest.fixture(scope="module")
def plain_projects(gaz):
    return by_name(extract_projects(load_documents(), gaz))


def converted(tmp_path, suffix: str, write) -> list:
    """The five plans converted by ``write(document, path)``, read back with their manifest
    rows (the ids, titles and kinds an upload gives them)."""
    manifest = read_manifest()
    for path in plan_files(PLANS_DIR):
        doc = load_document(path)
        out = tmp_path / f"{path.stem}{suffix}"
        write(doc, out)
        manifest[out.name] = {**manifest[path.name], "file": out.name}
    return [load_document(p, manifest) for p in sorted(tmp_path.glob(f"*{suffix}"))]


def assert_same_projects(documents, gaz, plain_projects) -> None:
    """≥ 95 % of the plain texts' projects, ≥ 95 % of those with the same section path
    (whitespace aside: rendered HTML and typeset lines collapse runs of spaces)."""
    projects = by_name(extract_projects(documents, gaz))
    found = [n for n in plain_projects if n in projects]
    assert len(found) >= 0.95 * len(plain_projects), sorted(set(plain_projects) - set(found))
    same_sections = [n for n in found if spaced(projects[n].sources[0].sections)
                     == spaced(plain_projects[n].sources[0].sections)]
    assert len(same_sections) >= 0.95 * len(found), [
        (projects[n].sources[0].sections, plain_projects[n].sources[0].sections)
        for n in found if n not in same_sections][:5]


def test_a_government_page_gives_the_projects_of_its_plain_text(tmp_path, gaz, plain_projects):
    pages = converted(tmp_path, ".html", lambda doc, out: out.write_text(
        as_government_page(doc.text, doc.title), encoding="utf-8"))
    assert all("网页正文" in d.reading for d in pages)
    assert not any("统计代码" in d.text or "当前位置" in d.text or "ICP" in d.text
                   or "索引号" in d.text or "打印本页" in d.text for d in pages)
    assert_same_projects(pages, gaz, plain_projects)


def test_a_word_file_gives_the_projects_of_its_plain_text(tmp_path, gaz, plain_projects):
    files = converted(tmp_path, ".docx", lambda doc, out: out.write_bytes(as_docx(doc)))
    assert all(d.reading == "Word 文档" for d in files)
    assert_same_projects(files, gaz, plain_projects)


def test_a_typeset_pdf_gives_the_projects_of_its_plain_text(tmp_path, gaz, plain_projects):
    files = converted(tmp_path, ".pdf", lambda doc, out: out.write_bytes(
        as_pdf(doc.text, doc.title)))
    assert all(d.reading.startswith("PDF 文字层") for d in files)
    # the running head and the page numbers are gone, and no page break splits a sentence
    assert not any(RUNNING_HEAD in d.text or "— 2 —" in d.text for d in files)
    assert_same_projects(files, gaz, plain_projects)


def test_a_gb18030_text_gives_the_projects_of_its_plain_text(tmp_path, gaz, plain_projects):
    files = converted(tmp_path, ".txt", lambda doc, out: out.write_bytes(
        doc.text.encode("gb18030")))
    assert all("GB18030" in d.reading for d in files)
    assert_same_projects(files, gaz, plain_projects)


def test_a_page_without_chinese_text_is_refused_by_name(tmp_path):
    page = tmp_path / "login.html"
    page.write_text("<html><body><div class='nav'>首页</div><form>用户名</form>"
                    "<p>Please sign in</p></body></html>", encoding="utf-8")
    with pytest.raises(ValueError, match="login.html.*中文正文"):
        load_document(page)


def test_tables_read_as_rows_and_markup_in_text_stays_text():
    page = ("<div><p>专栏1　重大项目</p><table><tr><th>序号</th><th>项目</th></tr>"
            "<tr><td>1</td><td>礼嘉智慧公园&lt;script&gt;</td></tr></table>"
            "<script>alert(1)</script><p>建设<br>果园港</p></div>")
    assert html_text(page).splitlines() == [
        "专栏1　重大项目", "序号　项目", "1　礼嘉智慧公园<script>", "建设", "果园港"]


def test_a_gbk_page_is_read():
    from layers.ingest.readers import read_html

    raw = ('<html><head><meta charset="gb2312"></head><body><div class="article">'
           "<p>第一章 总则</p><p>建设果园港国家物流枢纽。</p></div></body></html>").encode("gbk")
    reading = read_html(raw, "page.htm")
    assert reading.text == "第一章 总则\n建设果园港国家物流枢纽。" and "GB18030" in reading.how


# --------------------------------------------------------------------------- Word details

DOCX_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/numbering.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
</Types>"""
DOCX_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="numbering.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"/>
</Relationships>"""
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
# Word's automatic numbering, as a drafter's template sets it: 第一章 / 一、 / （一）
NUMBERING = f"""<?xml version="1.0" encoding="UTF-8"?>
<w:numbering {W_NS}>
<w:abstractNum w:abstractNumId="0">
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
  <w:lvlText w:val="第%1章 "/></w:lvl>
 <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
  <w:lvlText w:val="%2、"/></w:lvl>
 <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
  <w:lvlText w:val="（%3）"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
</w:numbering>"""


def numbered(text: str, level: int) -> str:
    return (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="1"/></w:numPr>'
            f"</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>")


def plain(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def docx_package(body: str, numbering: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        z.writestr("word/document.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><w:document {W_NS}>'
                   f"<w:body>{body}</w:body></w:document>")
        if numbering:
            z.writestr("word/_rels/document.xml.rels", DOCUMENT_RELS)
            z.writestr("word/numbering.xml", NUMBERING)
    return out.getvalue()


def test_word_numbering_is_written_out_as_the_drafter_sees_it(tmp_path):
    """Headings numbered by Word (not typed) still open chapters and items."""
    body = "".join([
        numbered("总体要求", 0), numbered("发展基础", 1), plain("建设果园港。"),
        numbered("发展环境", 1), numbered("机遇", 2), numbered("挑战", 2),
        numbered("空间布局", 0), numbered("优化结构", 1),
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>轨道交通</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>建成轨道交通4号线二期。</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"])
    path = tmp_path / "plan.docx"
    path.write_bytes(docx_package(body))
    doc = load_document(path)
    assert doc.text.splitlines() == [
        "第一章 总体要求", "一、发展基础", "建设果园港。", "二、发展环境", "（一）机遇", "（二）挑战",
        "第二章 空间布局", "一、优化结构", "轨道交通：建成轨道交通4号线二期。"]
    chapters = [s.title for s in doc.sections if s.kind == "chapter"]
    assert chapters == ["总体要求", "空间布局"]
    assert [s.label for s in doc.sections if s.kind == "item1"] == ["一、", "二、", "一、"]


def test_chinese_numbers_as_word_counts():
    from layers.ingest.word import chinese_number

    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 99, 100, 105, 110)] == [
        "一", "十", "十一", "二十", "二十一", "九十九", "一百", "一百零五", "一百一十"]


def test_a_zip_bomb_named_docx_is_refused_before_inflating(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_TYPES)
        z.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))  # 300 MB of zeros
    path = tmp_path / "炸弹.docx"
    path.write_bytes(out.getvalue())
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ValueError, match="炸弹.docx.*压缩炸弹"):
        load_document(path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("损坏.docx", b"PK\x03\x04 not really a zip", "已损坏或不是 .docx"),
    ("表格.docx", None, "没有正文"),
    ("旧版.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "另存为 .docx"),
    ("图片.png", b"\x89PNG\r\n\x1a\n", "格式不支持"),
    ("空.txt", b"", "是空文件"),
    ("空白.txt", b" \n\r\n\t ", "是空文件"),
])
def test_files_that_are_no_plan_are_refused_by_name(tmp_path, name, content, message):
    if content is None:  # a spreadsheet's package: a zip without word/document.xml
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("xl/workbook.xml", "<workbook/>")
        content = out.getvalue()
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"{name}.*{message}"):
        load_document(path)


# --------------------------------------------------------------------------- PDF details


def test_a_scanned_pdf_is_refused_with_the_advice_to_run_ocr(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for _ in range(3):  # pages of picture only (a scan has an image and no text)
        pdf.rect(72, 72, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(out.getvalue())
    with pytest.raises(ValueError, match="扫描件.pdf.*没有文字层.*OCR"):
        load_document(path)


def test_an_encrypted_pdf_is_refused(tmp_path):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    pdf.drawString(72, 700, "plan")
    pdf.save()
    path = tmp_path / "加密.pdf"
    path.write_bytes(out.getvalue())
    with pytest.raises(ValueError, match="加密.pdf.*已加密"):
        load_document(path)


def test_a_damaged_pdf_is_refused(tmp_path):
    path = tmp_path / "坏.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF")
    with pytest.raises(ValueError, match="坏.pdf.*已损坏"):
        load_document(path)


def test_a_pdf_table_row_is_one_line_and_a_page_break_does_not_split_a_sentence(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from tests.plan_files import PDF_FONT

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    body = "加快建设果园港国家物流枢纽，完善港口集疏运体系，推动铁公水多式联运发展，"
    paragraph = (body * 4)[:28 + 3 * 30]  # a two-character indent, then full lines of 30
    for page in (1, 2):
        pdf.setFont(PDF_FONT, 10)
        pdf.drawCentredString(width / 2, height - 50, "重庆市发展和改革委员会文件")
        pdf.drawCentredString(width / 2, 40, f"第 {page} 页 共 2 页")
        pdf.setFont(PDF_FONT, 14)
        if page == 1:
            pdf.drawString(72, 700, "专栏1　重大项目")
            pdf.drawString(72, 676, "轨道交通")
            pdf.drawString(200, 676, "建成轨道交通4号线二期。")
            line, y = paragraph, 652  # it fills its last line on this page
            pdf.drawString(72 + 28, y, line[:28])
            line = line[28:]
            while line:
                y -= 24
                pdf.drawString(72, y, line[:30])
                line = line[30:]
        else:
            pdf.drawString(72, 700, "形成内陆开放高地。")
            pdf.drawString(72 + 28, 676, "第二章　空间布局")
        pdf.showPage()
    pdf.save()
    path = tmp_path / "table.pdf"
    path.write_bytes(out.getvalue())
    lines = load_document(path).text.splitlines()
    assert lines[:2] == ["专栏1　重大项目", "轨道交通：建成轨道交通4号线二期。"]
    assert lines[2] == paragraph + "形成内陆开放高地。"
    assert lines[3:] == ["第二章　空间布局"]
