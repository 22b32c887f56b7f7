"""专栏 boxes: the entries a box's text lists, and — in a web scrape that moved a box's
text away from its heading — the entries found outside any box, placed back in theirs.

Offsets here are clean offsets (see documents.py).
"""

from __future__ import annotations

import re

from layers.ingest.rules import starts_with_verb

SENTENCE_END = "。！？；!?;"
ENTRY_LABEL_COLON = re.compile(r"([^，。：:；、\s]{1,24}?)[：:]")
ENTRY_LABEL_STOP = re.compile(r"([^，。：:；、“”\s]{1,20})。")
# how much of an entry's text identifies it when the scrape repeats it elsewhere
COPY_KEY_CHARS = 24
# how surely each rule places a moved entry (best first); see displaced_entries
HOW_RANK = {"moved": 0, "numbering": 1, "interleaved": 2}


def _sentences(clean: str, start: int, end: int):
    """(start, end, at_line_start) of each sentence in clean[start:end]."""
    i = start
    n = end
    while i < n:
        while i < n and clean[i] in " \t\u3000":
            i += 1
        if i >= n:
            break
        line_start = i == 0 or clean[i - 1] == "\n"
        j = i
        while j < n and clean[j] not in SENTENCE_END and clean[j] != "\n":
            j += 1
        if j < n and clean[j] in SENTENCE_END:
            j += 1
        if clean[i:j].strip():
            yield i, j, line_start
        i = j + 1 if j < n and clean[j] == "\n" else j


def is_topic_sentence(sentence: str) -> bool:
    """A body paragraph's opening: short, an action, neither a label nor an enumeration."""
    s = sentence.strip().rstrip("。")
    return len(s) <= 30 and "：" not in s and "、" not in s and bool(starts_with_verb(s))


def box_entries(clean: str, start: int, end: int, layout: str):
    """(box end, [(start, end, label)]) in clean offsets. A box is a run of entries: a
    labelled sentence (名称：… or 类别。…), or — in one-paragraph-a-line text — a line that does
    not open like a body paragraph. It ends at the first sentence that does."""
    entries: list[list] = []
    for s, e, line_start in _sentences(clean, start, end):
        sentence = clean[s:e]
        label = _entry_label(sentence, line_start)
        if label is not None:
            entries.append([s, e, label])
        elif layout == "inline":
            # a scrape runs the body on after the box: only labelled sentences belong to it,
            # apart from an unlabelled first one and an entry's own clauses after its ；
            if entries and clean[entries[-1][1] - 1] in "；;":
                entries[-1][1] = e
                continue
            if entries or line_start:
                break
            entries.append([s, e, ""])
        elif line_start and not is_topic_sentence(sentence):
            entries.append([s, e, ""])
        elif not line_start and entries:
            entries[-1][1] = e
        else:
            break
    # "类别。" alone is a label whose items follow in the same line
    merged = []
    for s, e, label in entries:
        if merged and merged[-1][2] and not label and \
                clean[merged[-1][0]:merged[-1][1]].strip() == merged[-1][2] + "。":
            merged[-1][1] = e
            continue
        merged.append([s, e, label])
    box_end = merged[-1][1] if merged else start
    return box_end, [tuple(x) for x in merged]


def _entry_label(sentence: str, line_start: bool) -> str | None:
    """The label of a 专栏 entry's opening sentence (名称：… anywhere, 类别。 at a line start),
    or None when the sentence opens with no label. An action is never a label."""
    m = ENTRY_LABEL_COLON.match(sentence)
    if m is None and line_start:
        m = ENTRY_LABEL_STOP.fullmatch(sentence.strip())
    if m is None or starts_with_verb(m.group(1)):
        return None
    return m.group(1)


def _in_place(numbers: list[int]) -> set[int]:
    """Positions of the longest strictly increasing run of box numbers, in document order:
    the boxes still where the plan put them (a repeated or moved box breaks the order)."""
    best: list[list[int]] = []
    for i, n in enumerate(numbers):
        chains = [c for c in best if numbers[c[-1]] < n]
        best.append([*max(chains, key=len, default=[]), i])
    return set(max(best, key=len, default=[]))


def displaced_entries(clean: str, boxes: list[tuple[int, int, int, list]],
                      headings: list[int] = ()):
    """Entries a scrape moved out of their box, each with the box it belongs to.

    ``boxes``: (number, heading start, box end, [(entry start, end, label)]) in document
    order. Returns (start, end, label, number, how) for each labelled list sentence outside
    every box that the box structure places, and for each box entry that is a copy of one
    placed elsewhere. ``headings``: where the structural headings (章, 节) start. ``how`` says
    what placed it:

    - ``moved``: the nearest box heading before it is itself out of order (a moved box whose
      entries the scrape scattered after it);
    - ``interleaved``: no structural heading lies between it and the nearest box heading
      before it (the scrape ran the body into the box and the box on after it);
    - ``numbering``: it lies between two boxes in order whose numbers leave exactly one gap
      (between 专栏4 and 专栏6 only 专栏5 fits), which outweighs the next rule;
    - ``copy``: the same entry text repeated elsewhere (outside boxes, or in another box's run)
      goes where its best-placed copy goes.
    Entries no rule places are left where they are.
    """
    if not boxes:
        return []
    numbers = [b[0] for b in boxes]
    in_place = _in_place(numbers)
    covered = [(b[1], b[2]) for b in boxes]
    found = []
    for s, e, line_start in _sentences(clean, 0, len(clean)):
        if any(a <= s < b for a, b in covered):
            continue
        sentence = clean[s:e]
        label = _entry_label(sentence, line_start)
        # a list of works under a label; a numbered note (2．5G：…) or a date (2035年…) is no entry
        if not label or re.match(r"[0-9０-９]", label) or not re.search("、|—|项目|工程", sentence):
            continue
        before = [k for k, b in enumerate(boxes) if b[1] < s]
        after = [k for k, b in enumerate(boxes) if b[1] > s]
        lo = max((numbers[k] for k in before if k in in_place), default=0)
        hi = min((numbers[k] for k in after if k in in_place), default=lo + 99)
        if before and before[-1] not in in_place:
            found.append((s, e, label, numbers[before[-1]], "moved"))
        elif hi - lo == 2:
            found.append((s, e, label, lo + 1, "numbering"))
        elif before and not any(boxes[before[-1]][1] < h < s for h in headings):
            found.append((s, e, label, numbers[before[-1]], "interleaved"))
    # copies of one entry go where its best-placed copy goes
    best: dict[str, tuple[int, int]] = {}
    for s, e, label, number, how in found:
        key = _copy_key(clean, s, e, label)
        best[key] = min(best.get(key, (9, 0)), (HOW_RANK[how], number))
    placed = []
    for s, e, label, number, how in found:
        rank, chosen = best[_copy_key(clean, s, e, label)]
        placed.append((s, e, label, chosen, how if chosen == number else "copy"))
    for number, _, _, entries in boxes:
        for s, e, label in entries:
            rank, chosen = best.get(_copy_key(clean, s, e, label), (9, number))
            if chosen != number and rank < HOW_RANK["interleaved"]:
                placed.append((s, e, label, chosen, "copy"))
    return sorted(placed)


def _copy_key(clean: str, start: int, end: int, label: str) -> str:
    text = clean[start:end]
    body = text[text.find(label) + len(label):].lstrip("：: ")
    return label + "：" + body[:COPY_KEY_CHARS]
