"""Plan files in the formats planners receive, generated from a plan's text: a saved
government web page, a drafter's Word file, a typeset PDF with running header and page
numbers. Shared by the format tests and ``benchmarks/formats.py``."""

from __future__ import annotations

import html
import io
import re

from layers.ingest.tables import LABEL

HEADING = re.compile(r"^\s*(第[一二三四五六七八九十百]+[章节篇]|[一二三四五六七八九十]+、)")

# A saved page of the city's 政策文件库 as a browser saves it: header and navigation,
# breadcrumbs, the metadata table, the article, share and print links, the footer.
GOVERNMENT_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_重庆市人民政府网</title>
<link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.js"></script>
<script>var _hmt = _hmt || []; document.write("<p>统计代码</p>");</script></head>
<body><div class="header"><div class="logo">重庆市人民政府</div>
<ul class="nav-list"><li><a href="/">首页</a></li><li><a>要闻动态</a></li><li><a>政务公开</a></li>
<li><a>政务服务</a></li><li><a>互动交流</a></li><li><a>走进重庆</a></li></ul></div>
<div class="current-position">当前位置：<a>首页</a> &gt; <a>政务公开</a> &gt; <a>政策文件库</a></div>
<div class="zwxl-container">
<table class="zwxl-table"><tr><td>索引号：</td><td>11500000MB1503991Y/2021-00012</td>
<td>主题分类：</td><td>综合政务</td></tr><tr><td>发布机构：</td><td>重庆市人民政府</td>
<td>成文日期：</td><td>2021-02-01</td></tr><tr><td>标　　题：</td><td>{title}</td></tr></table>
<div class="zwxl-title"><h2>{title}</h2></div>
<div class="zwxl-article view TRS_UEDITOR trs_paper_default">
{body}
</div>
<div class="zwxl-share">分享到：<a>微信</a> <a>微博</a></div>
<div class="zwxl-print"><a>【打印本页】</a> <a>【关闭窗口】</a></div></div>
<div class="footer"><p>主办：重庆市人民政府办公厅　承办：重庆市政府电子政务中心</p>
<p>渝ICP备05003300号　渝公网安备 50010302000059号</p></div></body></html>"""


def as_government_page(text: str, title: str) -> str:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line = html.escape(line.strip())
        if HEADING.match(line):
            rows.append(f'<p style="text-align: center;"><strong>{line}</strong></p>')
        else:
            rows.append(f'<p style="text-indent: 2em;">{line}&nbsp;</p>')
    return GOVERNMENT_PAGE.format(title=html.escape(title), body="\n".join(rows))


def as_docx(doc) -> bytes:
    """The plan as a drafter's Word file: headings in the 标题 1–3 styles, each 专栏's entries
    a table of 类别 | 内容 (the label cell without its colon, as such tables are typed)."""
    import docx

    word = docx.Document()
    entry_starts = {s.start for s in doc.sections if s.kind == "entry"}
    table = None
    for start, text in _lines(doc.text):
        if start in entry_starts:
            label, colon, rest = text.partition("：")
            cells = [label, rest] if colon and LABEL.fullmatch(label) else [text]
            if table is None or len(table.columns) != len(cells):
                table = word.add_table(rows=0, cols=len(cells))
            for cell, value in zip(table.add_row().cells, cells, strict=True):
                cell.text = value
            continue
        table = None
        m = HEADING.match(text)
        if m:
            word.add_heading(text, level=1 if m.group(1)[-1] in "章篇" else
                             2 if m.group(1)[-1] == "节" else 3)
        else:
            word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _lines(text: str):
    """(offset of the first non-blank character, stripped line) of each non-blank line."""
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if line.strip():
            yield start + len(line) - len(line.lstrip()), line.strip()


PDF_FONT = "STSong-Light"  # one of reportlab's CID fonts: no font file needed
RUNNING_HEAD = "重庆市人民政府公报"


def as_pdf(text: str, title: str, repeat: int = 1) -> bytes:
    """The plan typeset on A4 as a 公报 is: a running head, body paragraphs with a two-character
    indent wrapped at the margin, centred headings, "— N —" page numbers; ``repeat`` copies
    of the body one after another (for a long document)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    width, height = A4
    size, leading, margin = 14, 24, 72
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    page = [0]
    y = [0.0]

    def new_page():
        if page[0]:
            pdf.showPage()
        page[0] += 1
        pdf.setFont(PDF_FONT, 10)
        pdf.drawCentredString(width / 2, height - 50, f"{RUNNING_HEAD}　{title[:20]}")
        pdf.line(margin, height - 56, width - margin, height - 56)
        pdf.drawCentredString(width / 2, 40, f"— {page[0]} —")
        pdf.setFont(PDF_FONT, size)
        y[0] = height - 100

    def put(line: str, x: float, centred: bool = False):
        if y[0] < 80:
            new_page()
        if centred:
            pdf.drawCentredString(width / 2, y[0], line)
        else:
            pdf.drawString(x, y[0], line)
        y[0] -= leading

    new_page()
    for _ in range(repeat):
        for _start, line in _lines(text):
            if HEADING.match(line) and len(line) <= 30:
                put(line, margin, centred=True)
                continue
            indent = 2 * size
            while line:
                room = width - 2 * margin - indent
                n = len(line)
                while pdfmetrics.stringWidth(line[:n], PDF_FONT, size) > room:
                    n -= 1
                put(line[:n], margin + indent)
                line, indent = line[n:], 0
    pdf.showPage()
    pdf.save()
    return out.getvalue()
