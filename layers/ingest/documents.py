"""Plan documents as trees of sections, with offsets into the original text.

A plan arrives as plain text in one of a few layouts: one paragraph a line with headings on
their own lines; a web scrape whose headings (第X章, 第X节, 专栏N) run inline in long lines,
with the table of contents as one run of text; a newspaper article hard-wrapped at ~20
characters whose project blocks end with the project's name on its own line; a word-processor
export with ``[bookmark: …]`` residue and numbered lists （一）/1./（1）. The parser recognises
the layout from the text itself, never from the file name, so the next plan needs no code.

Work happens on a *clean* copy of the text (residue removed, hard wraps joined); ``origin``
maps each clean offset back to the original, and every offset this module returns is original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from layers.ingest.boxes import box_entries, displaced_entries
from layers.ingest.rules import rules

# Section kinds from the outermost in; a heading closes every open section of its level or
# deeper. Boxes (专栏) sit inside the structural section they appear in; their entries inside.
LEVELS = {
    "part": 1, "chapter": 2, "section": 3, "block": 3, "item1": 4, "item2": 5, "item3": 6,
    "item4": 7, "box": 8, "entry": 9,
}
CN_NUM = "一二三四五六七八九十百零〇两"
STRUCTURAL = re.compile(rf"第([{CN_NUM}]+)([篇章节])")
STRUCTURAL_KIND = {"篇": "part", "章": "chapter", "节": "section"}
BOX = re.compile(r"专栏\s*(\d{1,3})")
# Numbered items count only at the start of a line: inside a paragraph they are enumerations.
ITEM_MARKERS = (
    ("item1", re.compile(rf"([{CN_NUM}]{{1,3}})、")),
    ("item2", re.compile(rf"[（(]([{CN_NUM}]{{1,3}})[）)]")),
    ("item3", re.compile(r"(\d{1,2})[.．、](?!\d)")),
    ("item4", re.compile(r"[（(](\d{1,2})[）)]")),
)
RESIDUE = re.compile(r"\[bookmark:[^\]]*\]")
# A 专栏 title written inline runs straight into its first entry: it ends with the first
# title word (重点项目, 工程, 体系建设 …) that leaves a label before the colon.
BOX_TITLE_INLINE = re.compile(
    r".{2,30}?(?:建设|体系|重点|主要)?(?:重点项目|项目|工程|指标|方向|平台|体系建设|建设|体系)")
PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s+|\s+\d{1,3}\s*$")
TOC_MAX_TITLE = 40


@dataclass
class Section:
    """One heading and what it covers: [start, end) in the original text."""

    kind: str
    label: str  # 第三章, 专栏10, （一）, 3. … ('' for entries and blocks)
    title: str
    start: int
    end: int
    parent: int | None = None  # index in Document.sections
    placed_by: str = ""  # a box's text a scrape moved, put back by (boxes.displaced_entries)

    @property
    def level(self) -> int:
        return LEVELS[self.kind]

    @property
    def heading(self) -> str:
        inferred = "（位置推定）" if self.placed_by else ""
        return f"{self.label} {self.title}".strip() + inferred


@dataclass
class Document:
    doc_id: str
    title: str
    text: str
    file: str = ""
    issuer: str = ""
    date: str = ""
    kind: str = ""
    reading: str = ""  # how the file was read: "UTF-8", "GB18030/GBK（检测）", …
    sections: list[Section] = field(default_factory=list)
    clean: str = ""
    origin: np.ndarray | None = None  # clean offset → original offset (len(clean)+1)
    layout: str = ""  # lines | inline | wrapped

    def to_original(self, clean_offset: int) -> int:
        return int(self.origin[clean_offset])

    def to_clean(self, original_offset: int) -> int:
        return int(np.searchsorted(self.origin, original_offset))

    def excerpt(self, start: int, end: int) -> str:
        """Clean text of original span [start, end)."""
        return self.clean[self.to_clean(start):self.to_clean(end)].strip()

    @cached_property
    def _starts(self) -> np.ndarray:
        return np.array([s.start for s in self.sections], dtype=np.int64)

    def path_at(self, offset: int) -> list[Section]:
        """Enclosing sections of an original offset, outermost first."""
        best = None
        for i in range(int(np.searchsorted(self._starts, offset, side="right")) - 1, -1, -1):
            s = self.sections[i]
            if s.start <= offset < s.end:
                best = i
                break
        path = []
        while best is not None:
            path.append(self.sections[best])
            best = self.sections[best].parent
        return path[::-1]


# --------------------------------------------------------------------------- cleaning


def _clean(text: str) -> tuple[str, np.ndarray, str]:
    """(clean text, origin map, layout)."""
    keep = np.ones(len(text), dtype=bool)
    for m in RESIDUE.finditer(text):
        keep[m.start():m.end()] = False
    lines = [ln for ln in text.split("\n") if ln.strip()]
    # Hard-wrapped text: most lines of some length stop mid-sentence.
    long_lines = [ln.strip() for ln in lines if len(ln.strip()) >= 12]
    ended = sum(1 for ln in long_lines if ln[-1] in "。；！？”：）")
    line_headings = sum(1 for ln in lines if STRUCTURAL.match(ln.strip()) or BOX.match(ln.strip()))
    all_headings = len(STRUCTURAL.findall(text)) + len(BOX.findall(text))
    if len(long_lines) >= 30 and ended < 0.3 * len(long_lines):
        layout = "wrapped"
    elif all_headings >= 10 and line_headings < all_headings / 3:
        layout = "inline"
    else:
        layout = "lines"
    if layout == "wrapped":
        _join_wraps(text, keep)
    idx = np.flatnonzero(keep)
    clean = "".join(text[i] for i in idx) if len(idx) < len(text) else text
    origin = np.append(idx, len(text)).astype(np.int64)
    return clean, origin, layout


def is_name_line(line: str) -> bool:
    """A line holding only a project's name (the hard-wrapped article's block titles)."""
    name = PAGE_NUMBER.sub("", line).strip()
    if not 4 <= len(name) <= 30 or re.search(r"[，。：；！？“”\s]", name):
        return False
    return name.endswith(("工程", "项目")) and not re.search(rules()["collective_pattern"], name)


def _join_wraps(text: str, keep: np.ndarray) -> None:
    """Drop the newlines (and the spaces around them) of hard-wrapped text, except around
    lines that are headings of their own, so sentences read through."""
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        own_line = is_name_line(line) or _is_heading_line(stripped)
        if end < len(text) and not own_line:
            nxt_start = end + 1
            nxt_end = text.find("\n", nxt_start)
            nxt = text[nxt_start:nxt_end if nxt_end >= 0 else len(text)]
            if not is_name_line(nxt):
                keep[end] = False
                # spaces at the wrap are layout, not text
                i = end - 1
                while i >= pos and text[i] in " \t\u3000":
                    keep[i] = False
                    i -= 1
        pos = end + 1


def opens_section(line: str) -> bool:
    """A line opening with a heading marker (第二章, 专栏3, 一、, （一）, 1.)."""
    line = line.lstrip()
    return bool(STRUCTURAL.match(line) or BOX.match(line)
                or any(pattern.match(line) for _, pattern in ITEM_MARKERS))


def _is_heading_line(stripped: str) -> bool:
    return bool(STRUCTURAL.match(stripped) or BOX.match(stripped))


# --------------------------------------------------------------------------- parsing


@dataclass
class _Heading:
    kind: str
    label: str
    start: int  # clean offsets
    title_start: int
    title_end: int
    title: str


def _line_bounds(clean: str, i: int) -> tuple[int, int]:
    a = clean.rfind("\n", 0, i) + 1
    b = clean.find("\n", i)
    return a, (len(clean) if b < 0 else b)


def _at_line_start(clean: str, i: int) -> bool:
    a, _ = _line_bounds(clean, i)
    return not clean[a:i].strip()


def _find_headings(clean: str, layout: str) -> list[_Heading]:
    marks = []  # (start, end_of_marker, kind, label)
    for m in STRUCTURAL.finditer(clean):
        marks.append((m.start(), m.end(), STRUCTURAL_KIND[m.group(2)], m.group(0)))
    for m in BOX.finditer(clean):
        marks.append((m.start(), m.end(), "box", f"专栏{m.group(1)}"))
    marks.sort()
    # Table of contents: a run of markers each followed only by a short title.
    toc = set()
    titles: dict[str, set[str]] = {}
    run = []
    for k, (_start, end, _kind, _label) in enumerate(marks):
        nxt = marks[k + 1][0] if k + 1 < len(marks) else None
        gap = clean[end:nxt] if nxt is not None else ""
        if nxt is not None and 0 < len(gap) <= TOC_MAX_TITLE and not re.search(r"[。；\n]", gap):
            run.append(k)
            continue
        run.append(k)
        if len(run) >= 4:
            toc.update(run)
            for j in run[:-1]:
                s, e, kd, _ = marks[j]
                titles.setdefault(kd, set()).add(clean[e:marks[j + 1][0]].strip())
        run = []
    known = {kd: sorted(ts, key=len, reverse=True) for kd, ts in titles.items()}

    headings = []
    for k, (start, end, kind, label) in enumerate(marks):
        if k in toc:
            continue
        line_start = _at_line_start(clean, start)
        _, line_end = _line_bounds(clean, start)
        rest = clean[end:line_end]
        if kind == "box" and not line_start and layout == "lines":
            continue  # "见专栏3" in running text
        if kind != "box" and not line_start and layout != "inline":
            continue  # a citation such as "第二章所述"
        if line_start and len(rest.strip()) <= TOC_MAX_TITLE and "。" not in rest:
            title = rest.strip()
            t_end = line_end
        else:
            title = next((t for t in known.get(kind, ()) if clean.startswith(t, end)), None)
            if title is None and kind == "box":
                m = BOX_TITLE_INLINE.match(clean, end)
                title = m.group(0) if m else ""
            if title is None:
                m = re.match(r"[^，。：；“”\n]{1,30}", clean[end:])
                title = m.group(0) if m else ""
            t_end = end + len(title)
            title = title.strip()
        headings.append(_Heading(kind, label, start, end, t_end, title))

    if layout != "inline":
        for a, b in _lines(clean):
            line = clean[a:b]
            lead = len(line) - len(line.lstrip())
            for kind, pattern in ITEM_MARKERS:
                m = pattern.match(line, lead)
                if not m:
                    continue
                stop = line.find("。", m.end())
                title_end = len(line) if stop < 0 else stop
                if title_end - m.end() > 60:
                    break
                headings.append(_Heading(kind, m.group(0), a + lead, a + m.end(), a + title_end,
                                         line[m.end():title_end].strip()))
                break
    headings.sort(key=lambda h: h.start)
    return headings


def _lines(clean: str):
    pos = 0
    for line in clean.split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def _name_blocks(text: str) -> list[tuple[int, int, str]]:
    """Blocks of a hard-wrapped article as (start, end, name) in original offsets, each named
    by a line holding only its name. The name closes the text before it when that text is an
    unnamed block; otherwise (a numbered name opening the next block) it heads the text after
    it. A block opens at a labelled paragraph (主要目标：…); the same label again opens the
    next block; an article title (…十大工程) closes it."""
    blocks: list[tuple[int, int, str]] = []
    current: dict | None = None

    def close(end: int) -> None:
        nonlocal current
        if current is not None:
            blocks.append((current["start"], end, current["name"]))
        current = None

    pos = 0
    for raw in text.split("\n"):
        a, b = pos, pos + len(raw)
        pos = b + 1
        if is_name_line(raw):
            name = PAGE_NUMBER.sub("", raw).strip()
            if current is not None and not current["name"] and current["label"]:
                current["name"] = name
                close(b)
            else:
                close(a)
                current = {"start": a, "label": None, "name": name}
            continue
        if _title_like(raw):
            close(a)
            continue
        m = re.match(r"\s*(?:\d{1,3}\s+)?([^，。：:；\s\d]{2,6})[：:]", raw)
        if not m:
            continue
        label = m.group(1)
        if current is None:
            current = {"start": a, "label": label, "name": ""}
        elif current["label"] is None:
            current["label"] = label
        elif current["label"] == label:
            close(a)
            current = {"start": a, "label": label, "name": ""}
    close(len(text))
    return blocks


def _title_like(line: str) -> bool:
    """A short unpunctuated line that is a document or article title."""
    s = line.strip()
    return 4 <= len(s) <= 30 and not re.search(r"[，。：；]", s) and bool(
        re.search(rules()["collective_pattern"], s))


def parse(text: str, doc_id: str, **meta) -> Document:
    """Parse one plan's text into a Document."""
    clean, origin, layout = _clean(text)
    doc = Document(doc_id=doc_id, text=text, clean=clean, origin=origin, layout=layout,
                   title=meta.pop("title", "") or _first_line(text), **meta)
    headings = _find_headings(clean, layout)
    block_ends = {}
    if layout == "wrapped":
        for start, end, name in _name_blocks(text):
            a = doc.to_clean(start)
            block_ends[a] = doc.to_clean(end)
            headings.append(_Heading("block", "", a, a, a, name))
        headings.sort(key=lambda h: h.start)
    sections: list[Section] = []
    box_ends: dict[int, int] = {}
    stack: list[int] = []
    for h in headings:
        sec = Section(h.kind, h.label, h.title, h.start, len(clean))
        level = sec.level
        while stack and sections[stack[-1]].level >= level:
            closed = sections[stack.pop()]
            closed.end = min(closed.end, h.start)
        sec.parent = stack[-1] if stack else None
        if h.kind == "block":
            sec.end = block_ends[h.start]
        sections.append(sec)
        stack.append(len(sections) - 1)
        if h.kind == "box":
            box_ends[len(sections) - 1] = h.title_end
    # Boxes end where the body resumes; their entries are sections of their own.
    entries = []
    boxes = []
    for index, title_end in box_ends.items():
        box = sections[index]
        box.end, found = box_entries(clean, title_end, box.end, layout)
        boxes.append((int(box.label[2:]), box.start, box.end, found))
        for start, end, label in found:
            entries.append(Section("entry", "", label, start, end, index))
    if layout == "inline":
        _place_displaced(clean, sections, entries, boxes)
    sections = _merge_entries(sections, entries)
    for s in sections:
        s.start = int(origin[s.start])
        s.end = int(origin[min(s.end, len(clean))])
    doc.sections = sections
    return doc


def _place_displaced(clean: str, sections: list[Section], entries: list[Section],
                     boxes: list) -> None:
    """Put the entries a scrape moved out of their box back in it: each becomes an entry of a
    copy of its box (same number and title, ``placed_by`` saying how) at its own position,
    inside the structural section it is in."""
    titles = {}
    for sec in sections:
        if sec.kind == "box":
            titles.setdefault(int(sec.label[2:]), sec.title)
    headings = [sec.start for sec in sections if sec.kind in ("part", "chapter", "section")]
    for start, end, label, number, how in displaced_entries(clean, boxes, headings):
        entries[:] = [x for x in entries if (x.start, x.end) != (start, end)]
        parent = next((i for i in range(len(sections) - 1, -1, -1)
                       if sections[i].kind not in ("box", "entry")
                       and sections[i].start <= start < sections[i].end), None)
        sections.append(Section("box", f"专栏{number}", titles.get(number, ""), start, end,
                                parent, placed_by=how))
        entries.append(Section("entry", "", label, start, end, len(sections) - 1))


def _merge_entries(sections: list[Section], entries: list[Section]) -> list[Section]:
    """Entries join the sections in document order; parents are renumbered. An entry's parent
    indexes ``sections``, which keep their positions at the head of the combined list."""
    combined = sections + entries
    order = sorted(range(len(combined)),
                   key=lambda i: (combined[i].start, LEVELS[combined[i].kind]))
    remap = {old: new for new, old in enumerate(order)}
    result = [combined[i] for i in order]
    for s in result:
        if s.parent is not None:
            s.parent = remap[s.parent]
    return result


def _first_line(text: str) -> str:
    for line in text.splitlines():
        s = RESIDUE.sub("", line).strip()
        if s:
            return s[:80]
    return ""
