"""The scan report: what the gazetteer finds in a set of texts, and what it leaves open.

``python -m gazetteer scan --report FILE...`` prints it as Markdown. "Open" names are
place-like words (ending in 港, 新城, 片区, 机场 …) that no mention covers: candidates for the
curated table, or words that are not places, each to be looked at by a person.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from gazetteer.normalise import fold
from geo.vocabulary import suffixes

PLACE_WORD_SUFFIXES = suffixes("place_word_suffixes")
_SUFFIX_RE = re.compile("|".join(sorted(map(re.escape, PLACE_WORD_SUFFIXES), key=len,
                                        reverse=True)))
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Words that end like a place but never name one.
_GENERIC = {"江山", "青山", "金山", "银山", "靠山", "登山", "火山", "山水", "江湖", "湖泊",
            "河湖", "新区", "片区", "园区", "组团", "港口", "大桥", "隧道", "机场", "水库",
            "枢纽", "景区", "开发区", "岛"}


def _open_words(text: str, covered: list[tuple[int, int]], max_stem: int = 4) -> list[str]:
    """Place-like words whose suffix no mention covers: up to ``max_stem`` Chinese characters
    before a suffix, cut at the first non-Chinese character."""
    mask = bytearray(len(text))
    for s, e in covered:
        mask[s:e] = b"\x01" * (e - s)
    words = []
    folded = fold(text)
    for m in _SUFFIX_RE.finditer(folded):
        if any(mask[m.start():m.end()]):
            continue
        start = m.start()
        while start > 0 and m.start() - start < max_stem and _CJK.match(folded[start - 1]) \
                and not mask[start - 1]:
            start -= 1
        word = text[start:m.end()]
        if m.start() - start >= 2 and word not in _GENERIC:
            words.append(word)
    return words


def scan_report(gazetteer, files: list[Path], open_limit: int = 120) -> str:
    by_status: dict[str, Counter] = defaultdict(Counter)
    notes: dict[str, str] = {}
    per_doc = []
    open_words: Counter = Counter()
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        mentions = gazetteer.find_places(text, document=f.name, include_not_places=True)
        counts = Counter(m.status for m in mentions)
        per_doc.append((f.name, counts))
        for m in mentions:
            label = m.text if m.name == m.text else f"{m.text} → {m.name}"
            by_status[m.status][label] += 1
            if m.note:
                notes[label] = m.note
        open_words.update(_open_words(text, [(m.start, m.end) for m in mentions]))

    place_statuses = ("auto", "review", "unlocated")
    distinct = {s: len(by_status[s]) for s in place_statuses}
    total = sum(distinct.values())
    lines = ["# 地名扫描报告", "",
             f"规划文本 {len(files)} 份。识别出的不同地名 {total} 个：自动定位 {distinct['auto']}，"
             f"待复核（同名多处）{distinct['review']}，无坐标 {distinct['unlocated']}。", "",
             "| 文件 | 自动 | 待复核 | 无坐标 | 非点状/非地名短语 |", "|---|---|---|---|---|"]
    for name, c in per_doc:
        lines.append(f"| {name} | {c['auto']} | {c['review']} | {c['unlocated']} | "
                     f"{c['not_place']} |")
    for status, title in (("review", "待复核：同名多处，需按上下文或区县确定"),
                          ("unlocated", "无坐标：地名库知道这个名字，但没有可信坐标"),
                          ("not_place", "识别为非点状要素或普通词语（不定位）")):
        lines += ["", f"## {title}", ""]
        for label, n in by_status[status].most_common():
            lines.append(f"- {label} ×{n}" + (f" — {notes[label]}" if label in notes else ""))
        if not by_status[status]:
            lines.append("（无）")
    lines += ["", f"## 未覆盖的疑似地名（前 {open_limit} 个，按出现次数；需人工判断）", "",
              "以地名类后缀结尾、但没有被任何地名覆盖的词。多数是泛称或区外地名；"
              "确属重庆规划地名的应加入 curated.csv。", ""]
    for word, n in open_words.most_common(open_limit):
        lines.append(f"- {word} ×{n}")
    lines += ["", "## 自动定位的地名", ""]
    lines.append("、".join(f"{label}×{n}" for label, n in by_status["auto"].most_common()))
    return "\n".join(lines) + "\n"
