"""Plan files in, documents out: a reader per file format turns a file's bytes into text,
``documents.parse`` turns the text into a section tree; the manifest names each plan.

A new format is one more entry in ``READERS`` (suffix → reader, as geopandas maps suffixes
to drivers); every reader returns the text the offsets, excerpts and sections refer to."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from gazetteer.normalise import is_cjk
from geo.paths import DATA_DIR
from layers.ingest.documents import Document, parse

PLANS_DIR = DATA_DIR / "plans"
MANIFEST = PLANS_DIR / "manifest.csv"


class Reading(NamedTuple):
    """A plan file read: its text, and how it was read (shown with the plan, e.g. "GB18030")."""
    text: str
    how: str


# A decoding is believed when its non-ASCII characters are mostly Chinese: GB18030 maps almost
# any byte string to some characters, so a Latin-1 or binary file would otherwise "decode".
MIN_CJK_SHARE = 0.6


# Unicode blocks Chinese text uses besides its characters: general punctuation (“ ” — …), CJK
# symbols and punctuation (。、《》), full-width forms (，：（）％)
TEXT_BLOCKS = ((0x2010, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def _chinese(c: str) -> bool:
    return is_cjk(c) or any(lo <= ord(c) <= hi for lo, hi in TEXT_BLOCKS)


def _plausible(text: str) -> bool:
    if any(ord(c) < 32 and c not in "\n\r\t\f" for c in text[:20000]):
        return False  # control characters: a binary file
    wide = [c for c in text[:20000] if ord(c) > 127]
    return not wide or sum(map(_chinese, wide)) / len(wide) >= MIN_CJK_SHARE


def read_text(raw: bytes, name: str) -> Reading:
    """A plain-text plan in UTF-8 (with or without a byte-order mark), UTF-16 (with a mark) or
    GB18030/GBK (what many Chinese systems still write), detected in that order."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", "UTF-16")]
    elif raw.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "UTF-8（带 BOM）")]
    else:
        candidates = [("utf-8", "UTF-8"), ("gb18030", "GB18030/GBK（检测）")]
    for codec, how in candidates:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return Reading(text, how)
    raise ValueError(f"规划文件 {name} 不是可识别的文本：既不是 UTF-8、UTF-16，也不是 "
                     "GB18030/GBK 编码的中文（Word、PDF 等请另存为文本，或用其格式上传）")


def read_html(raw: bytes, name: str) -> Reading:
    """A saved web page (政府信息公开): its article's text (``html.html_text``), decoded as a
    text file is (pages in GBK/GB2312 are common)."""
    from layers.ingest.html import html_text

    page = read_text(raw, name)
    text = html_text(page.text)
    if not any(map(is_cjk, text)):
        raise ValueError(f"网页 {name} 中找不到中文正文（可能是导航页、框架页或需要登录的页面）")
    return Reading(text, f"网页正文（{page.how}）")


def read_docx(raw: bytes, name: str) -> Reading:
    """A Word document (``word.docx_text``): paragraphs with Word's numbering written out,
    table rows as lines."""
    from layers.ingest.word import docx_text

    return Reading(docx_text(raw, name), "Word 文档")


def read_pdf(raw: bytes, name: str) -> Reading:
    """A PDF's text layer (``pdf.pdf_text``): running heads, feet and page numbers dropped,
    lines joined into paragraphs across page breaks."""
    from layers.ingest.pdf import pdf_text

    text, pages = pdf_text(raw, name)
    return Reading(text, f"PDF 文字层（{pages} 页）")


# file suffix → reader (bytes, file name → Reading); a reader raises ValueError with the reason
READERS: dict[str, Callable[[bytes, str], Reading]] = {
    ".txt": read_text, ".html": read_html, ".htm": read_html, ".docx": read_docx,
    ".pdf": read_pdf}
# formats planners meet that no reader takes, with what to do instead
CONVERT_FIRST = {
    ".doc": "旧版 Word 文件，请在 Word 或 WPS 中另存为 .docx 后上传",
    ".wps": "WPS 文字文件，请另存为 .docx 后上传",
    ".rtf": "RTF 文件，请另存为 .docx 后上传",
    ".ofd": "OFD 版式文件，请导出为 PDF 后上传",
    ".caj": "CAJ 文件，请导出为 PDF 后上传",
}


def read_plan(raw: bytes, name: str) -> Reading:
    """A plan file's text by its suffix's reader; ValueError naming the file and the problem
    (an unknown format, an empty or oversized file, whatever its reader refuses)."""
    from layers.ingest.limits import limits

    suffix = Path(name).suffix.lower()
    if suffix in CONVERT_FIRST:
        raise ValueError(f"{name} 是{CONVERT_FIRST[suffix]}")
    reader = READERS.get(suffix)
    if reader is None:
        raise ValueError(f"{name} 的格式不支持（可读：{'、'.join(READERS)}）")
    if not raw.strip():
        raise ValueError(f"{name} 是空文件")
    if len(raw) > limits()["max_file_mb"] * 1024 * 1024:
        raise ValueError(f"{name} 有 {len(raw) / 1024 / 1024:.0f} MB，超过上限 "
                         f"{limits()['max_file_mb']} MB")
    reading = reader(raw, name)
    if not reading.text.strip():
        raise ValueError(f"{name} 中没有文字")
    return reading


def read_manifest(path: Path = MANIFEST) -> dict[str, dict]:
    """file name → manifest row."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def load_document(path: Path | str, manifest: dict[str, dict] | None = None) -> Document:
    """Parse one plan file. A file the manifest lists gets its id and title from there; any
    other plan gets its file stem as id and its first line as title."""
    path = Path(path)
    manifest = read_manifest() if manifest is None else manifest
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValueError(f"无法读取规划文件 {path}：{e.strerror}") from e
    return document_of(raw, path.name, manifest.get(path.name, {}))


def document_of(raw: bytes, name: str, row: dict) -> Document:
    """The document in plan file ``name``'s bytes, named by its manifest ``row`` (may be
    empty: then the file's stem is its id and its first line its title)."""
    reading = read_plan(raw, name)
    text = reading.text.replace("\r\n", "\n").replace("\r", "\n")
    return parse(text, row.get("doc_id") or Path(name).stem, title=row.get("title", ""),
                 file=name, issuer=row.get("issuer", ""), date=row.get("date", ""),
                 kind=row.get("kind", ""), reading=reading.how)


def plan_files(directory: Path = PLANS_DIR) -> list[Path]:
    """The plans in ``directory``: every file a reader can read."""
    return sorted(p for p in Path(directory).iterdir() if p.suffix.lower() in READERS)


def load_documents(paths=None, manifest: dict[str, dict] | None = None) -> list[Document]:
    """The plans at ``paths`` (default: the seed plans in data/plans), named by ``manifest``
    (default: the seed plans' manifest)."""
    manifest = read_manifest() if manifest is None else manifest
    return [load_document(p, manifest) for p in (paths or plan_files())]
