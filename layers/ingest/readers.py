"""Plan files in, documents out: a reader per file format turns a file's bytes into text,
``documents.parse`` turns the text into a section tree; the manifest names each plan.

A new format (Word, PDF) is one more entry in ``READERS``."""

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


# file suffix → reader (bytes, file name → Reading); a reader raises ValueError with the reason
READERS: dict[str, Callable[[bytes, str], Reading]] = {
    ".txt": read_text, ".html": read_html, ".htm": read_html}


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
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"不支持的规划文件格式：{path.name}（可读：{'、'.join(READERS)}）")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValueError(f"无法读取规划文件 {path}：{e.strerror}") from e
    reading = reader(raw, path.name)
    text = reading.text.replace("\r\n", "\n").replace("\r", "\n")
    row = manifest.get(path.name, {})
    return parse(text, row.get("doc_id") or path.stem, title=row.get("title", ""),
                 file=path.name, issuer=row.get("issuer", ""), date=row.get("date", ""),
                 kind=row.get("kind", ""), reading=reading.how)


def plan_files(directory: Path = PLANS_DIR) -> list[Path]:
    """The plans in ``directory``: every file a reader can read."""
    return sorted(p for p in Path(directory).iterdir() if p.suffix.lower() in READERS)


def load_documents(paths=None) -> list[Document]:
    manifest = read_manifest()
    return [load_document(p, manifest) for p in (paths or plan_files())]
