"""Word documents in (.docx): the body's paragraphs and tables in document order, one line
each, with Word's automatic numbering written out as the reader sees it (第一章, 一、, （一）,
1.), so the section parser finds the same headings it finds in the plan's plain text.

python-docx (MIT, maintained since 2013, lxml underneath) opens the package; the body is
walked at the XML level because python-docx lists paragraphs and tables separately. The zip
is checked before anything is unpacked (``check_zip``): a .docx is a zip archive, and a zip
bomb must be refused, not inflated."""

from __future__ import annotations

import io
import re
import zipfile

from layers.ingest.limits import limits
from layers.ingest.tables import row_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_zip(raw: bytes, name: str) -> None:
    """Refuse a damaged archive or a zip bomb before anything is inflated (ValueError)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise ValueError(f"Word 文件 {name} 已损坏或不是 .docx（{e}）") from e
    limit = limits()
    if len(parts) > limit["max_zip_parts"]:
        raise ValueError(f"Word 文件 {name} 含 {len(parts)} 个部件，不像规划文档，已拒绝")
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limit["max_unpacked_mb"] * 1024 * 1024 or any(
            p.file_size > 1024 * 1024
            and p.file_size > limit["max_part_ratio"] * max(p.compress_size, 1)
            for p in parts):
        raise ValueError(f"Word 文件 {name} 解压后达 {unpacked / 1024 / 1024:.0f} MB"
                         "（疑似压缩炸弹），已拒绝")
    if "word/document.xml" not in {p.filename for p in parts}:
        raise ValueError(f"Word 文件 {name} 中没有正文（word/document.xml），可能是其他 Office 文件")


# --------------------------------------------------------------------------- numbering

CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (Word's chineseCounting up to 999)."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += CN_DIGITS[ones]
    return out


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


NUMBER_FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "chineseCounting": chinese_number,
    "chineseCountingThousand": chinese_number,
    "chineseLegalSimplified": chinese_number,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "ideographZodiac": lambda n: "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12],
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "decimalFullWidth": lambda n: "".join(chr(0xFF10 + int(d)) for d in str(n)),
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
}


class _Numbering:
    """Word's list numbering (numbering.xml), counted as the document goes."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # (numId, ilvl) → spec
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for a in root.iter(f"{W}abstractNum"):
            specs = {}
            for lvl in a.iter(f"{W}lvl"):
                specs[int(lvl.get(f"{W}ilvl", "0"))] = _level_spec(lvl)
            abstract[a.get(f"{W}abstractNumId")] = specs
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            specs = dict(abstract.get(ref.get(f"{W}val") if ref is not None else "", {}))
            for override in num.iter(f"{W}lvlOverride"):
                ilvl = int(override.get(f"{W}ilvl", "0"))
                lvl = override.find(f"{W}lvl")
                if lvl is not None:
                    specs[ilvl] = _level_spec(lvl)
                start = override.find(f"{W}startOverride")
                if start is not None and ilvl in specs:
                    specs[ilvl] = (int(start.get(f"{W}val")), *specs[ilvl][1:])
            for ilvl, spec in specs.items():
                self.levels[(num.get(f"{W}numId"), ilvl)] = spec

    def label(self, num_id: str, ilvl: int) -> str:
        """The number Word shows before the next paragraph of list ``num_id`` at ``ilvl``."""
        if (num_id, ilvl) not in self.levels:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        start = self.levels[(num_id, ilvl)][0]
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0

        def value(match) -> str:
            level = int(match.group(1)) - 1
            spec = self.levels.get((num_id, level))
            n = counts[level] or (spec[0] if spec else 1)
            fmt = spec[1] if spec else "decimal"
            return NUMBER_FORMATS.get(fmt, str)(n)

        _, fmt, text = self.levels[(num_id, ilvl)]
        if fmt in ("bullet", "none"):
            return ""
        return re.sub(r"%([1-9])", value, text)


def _level_spec(lvl) -> tuple[int, str, str]:
    def val(tag: str, default: str) -> str:
        el = lvl.find(f"{W}{tag}")
        return el.get(f"{W}val", default) if el is not None else default

    return int(val("start", "1")), val("numFmt", "decimal"), val("lvlText", "")


def _num_pr(paragraph, styles: dict) -> tuple[str, int] | None:
    """(numId, ilvl) of a paragraph's list numbering, its own or its style's."""
    ppr = paragraph.find(f"{W}pPr")
    style_id = None
    if ppr is not None:
        num = ppr.find(f"{W}numPr")
        if num is not None:
            num_id = num.find(f"{W}numId")
            ilvl = num.find(f"{W}ilvl")
            if num_id is not None:
                return num_id.get(f"{W}val"), int(ilvl.get(f"{W}val")) if ilvl is not None else 0
        style = ppr.find(f"{W}pStyle")
        style_id = style.get(f"{W}val") if style is not None else None
    return styles.get(style_id)


def _style_numbering(document) -> dict:
    """style id → (numId, ilvl) for styles that number their paragraphs (标题 1 …)."""
    found = {}
    for style in document.styles.element.iter(f"{W}style"):
        num = style.find(f"{W}pPr/{W}numPr")
        if num is None:
            continue
        num_id = num.find(f"{W}numId")
        ilvl = num.find(f"{W}ilvl")
        if num_id is not None:
            found[style.get(f"{W}styleId")] = (num_id.get(f"{W}val"),
                                               int(ilvl.get(f"{W}val")) if ilvl is not None else 0)
    return found


# --------------------------------------------------------------------------- text


def _text(element) -> str:
    """A paragraph's visible text: runs, tabs, breaks; deleted revisions and field codes
    (the TOC's instructions) left out."""
    parts = []
    for el in element.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen"):
        if any(a.tag in (f"{W}del", f"{W}instrText") for a in el.iterancestors()):
            continue
        parts.append(el.text or "" if el.tag == f"{W}t" else
                     "\n" if el.tag in (f"{W}br", f"{W}cr") and el.get(f"{W}type") != "page"
                     else "-" if el.tag == f"{W}noBreakHyphen" else " ")
    return "".join(parts)


def _blocks(body, numbering: _Numbering, styles: dict, out: list[str]) -> None:
    for child in body.iterchildren():
        if child.tag == f"{W}p":
            text = _text(child).strip()
            num = _num_pr(child, styles)
            label = numbering.label(*num) if num else ""
            if text:
                out.extend(line.strip() for line in (label + text).split("\n"))
        elif child.tag == f"{W}tbl":
            for row in child.iter(f"{W}tr"):
                if row.getparent() is not child:
                    continue  # a nested table's rows are read with their cell
                header = row.find(f"{W}trPr/{W}tblHeader") is not None
                cells = [" ".join(_text(p).strip() for p in cell.iter(f"{W}p"))
                         for cell in row.iter(f"{W}tc") if cell.getparent() is row]
                out.append(row_line(cells, header))
        elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins"):
            _blocks(child, numbering, styles, out)  # content controls wrap body blocks


def docx_text(raw: bytes, name: str) -> str:
    """The text of a .docx, one line per paragraph or table row (ValueError when unreadable)."""
    check_zip(raw, name)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"Word 文件 {name} 无法打开（{e}）") from e
    out: list[str] = []
    _blocks(document.element.body, _Numbering(document), _style_numbering(document), out)
    return "\n".join(line for line in out if line)
