"""PDF in: the text layer of a plan PDF as the plain text it was typeset from — lines in
reading order, running headers, footers and page numbers dropped, lines re-joined into
paragraphs (also across page breaks), a table row as one line.

pypdfium2 (Apache-2.0/BSD, Google's PDFium, the engine of Chromium's viewer) reads the text
with positions at a few milliseconds a page, and handles the CJK fonts and CMaps of
government PDFs. A PDF without a text layer (a scan) is refused with the advice to run OCR
first: nothing is half-read."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from layers.ingest.documents import opens_section
from layers.ingest.limits import limits
from layers.ingest.tables import row_line

# a line holding only a page number: 3, - 3 -, —3—, 第3页, 3/120, 第 3 页 共 120 页
PAGE_NUMBER = re.compile(
    r"^[-－—–\s·]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:[/／共]\s*\d{1,4}\s*页?)?[-－—–\s·]*$")
# share of the page's height at its top and bottom where running heads and feet are looked for
MARGIN_SHARE = 0.1
# a running head or foot repeats (digits aside) on at least this share of the pages
RUNNING_SHARE = 0.4
SENTENCE_END = "。！？；：”）」』"


@dataclass
class _Line:
    top: float  # PDF units from the page's bottom
    bottom: float
    left: float
    right: float
    cells: list[str]

    @property
    def text(self) -> str:
        return row_line(self.cells) if len(self.cells) > 1 else self.cells[0]


def _page_lines(textpage) -> list[_Line]:
    """The page's text lines top to bottom, each a list of cells (runs split by wide gaps)."""
    runs = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = textpage.get_text_bounded(left, bottom, right, top)
        text = text.replace("\r", "").replace("\n", "")
        if text.strip():
            runs.append((left, bottom, right, top, text))
    runs.sort(key=lambda r: (-r[3], r[0]))
    lines: list[list] = []
    for run in runs:
        height = run[3] - run[1]
        for line in lines:
            overlap = min(line[0][3], run[3]) - max(line[0][1], run[1])
            if overlap > 0.5 * min(height, line[0][3] - line[0][1]):
                line.append(run)
                break
        else:
            lines.append([run])
    out = []
    for line in lines:
        line.sort(key=lambda r: r[0])
        size = statistics.median(r[3] - r[1] for r in line)
        cells = [line[0][4]]
        for before, run in zip(line, line[1:], strict=False):
            if run[0] - before[2] > 2 * size:  # a wide gap: the next table cell
                cells.append(run[4])
            else:
                space = " " if before[4][-1:].isascii() and run[4][:1].isascii() and \
                    run[0] - before[2] > 0.2 * size else ""
                cells[-1] += space + run[4]
        out.append(_Line(max(r[3] for r in line), min(r[1] for r in line), line[0][0],
                         line[-1][2], [c.strip() for c in cells if c.strip()]))
    return [ln for ln in out if ln.cells]


def _running_keys(pages: list[tuple[float, list[_Line]]]) -> set[str]:
    """Lines in the margins that repeat, digits aside, on many pages: running heads and feet."""
    seen = Counter()
    for height, lines in pages:
        keys = {re.sub(r"\d+", "#", ln.text) for ln in lines
                if ln.bottom > (1 - MARGIN_SHARE) * height or ln.top < MARGIN_SHARE * height}
        seen.update(keys)
    need = max(2, RUNNING_SHARE * len(pages))
    return {key for key, n in seen.items() if n >= need}


def _body(pages: list[tuple[float, list[_Line]]]) -> list[_Line]:
    running = _running_keys(pages) if len(pages) > 1 else set()
    body = []
    for height, lines in pages:
        for ln in lines:
            in_margin = ln.bottom > (1 - MARGIN_SHARE) * height or ln.top < MARGIN_SHARE * height
            if in_margin and (PAGE_NUMBER.match(ln.text)
                              or re.sub(r"\d+", "#", ln.text) in running):
                continue
            body.append(ln)
    return body


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Typeset lines joined into paragraphs: a line that runs to the right margin goes on in
    the next, unless that one is indented (a new paragraph or a centred heading), is a table
    row, or opens with a heading marker after a finished sentence."""
    if not lines:
        return []
    size = statistics.median(ln.top - ln.bottom for ln in lines)
    left = Counter(round(ln.left) for ln in lines).most_common(1)[0][0]
    rights = sorted(ln.right for ln in lines)
    right = rights[int(0.9 * (len(rights) - 1))]
    out: list[str] = []
    goes_on = False
    for ln in lines:
        text = ln.text
        single = len(ln.cells) == 1
        indented = ln.left > left + 0.8 * size
        new = not goes_on or indented or not single or (
            out[-1][-1:] in SENTENCE_END and opens_section(text))
        if new:
            out.append(text)
        else:
            latin = out[-1][-1:].isascii() and out[-1][-1:].isalnum() and text[:1].isascii() \
                and text[:1].isalnum()
            out[-1] += (" " if latin else "") + text
        goes_on = single and ln.right >= right - 1.5 * size
    return out


def pdf_text(raw: bytes, name: str) -> tuple[str, int]:
    """(text, page count) of a PDF's text layer (ValueError naming the problem when there is
    none)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise ValueError(f"PDF 文件 {name} 已加密（需要密码才能打开），请提供未加密的版本") from e
        raise ValueError(f"PDF 文件 {name} 已损坏或不是 PDF（{e}）") from e
    try:
        count = len(document)
        if count > limits()["max_pdf_pages"]:
            raise ValueError(f"PDF 文件 {name} 有 {count} 页，超过上限 "
                             f"{limits()['max_pdf_pages']} 页")
        pages = []
        for index in range(count):
            page = document[index]
            textpage = page.get_textpage()
            pages.append((page.get_height(), _page_lines(textpage)))
            textpage.close()
            page.close()
    finally:
        document.close()
    chars = sum(len(ln.text) for _, lines in pages for ln in lines)
    if chars < limits()["min_pdf_chars_per_page"] * max(count, 1):
        raise ValueError(f"PDF 文件 {name} 没有文字层（{count} 页只有 {chars} 个字符），"
                         "可能是扫描件：请先做文字识别（OCR）再上传")
    return "\n".join(_paragraphs(_body(pages))), count
