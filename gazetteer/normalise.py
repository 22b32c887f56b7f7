"""Text normalisation shared by matching (names, queries) and scanning (whole documents).

Every mapping here is one character to one character, so a normalised text keeps the offsets
of the original: a mention found in ``fold(text)`` at [start, end) is ``text[start:end]``.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from geo.city import CITY
from geo.vocabulary import suffixes

# Quotes, brackets of titles, spaces and middle dots carry no meaning in a place name.
_DROPPED = "\"'“”‘’「」『』《》〈〉·•・ \t\r\n\u3000\u00a0"
_PREFIXES = CITY.prefixes
# Longest first, so 片区 is stripped before 区 would be considered (区 alone is never stripped).
PLACE_SUFFIXES = suffixes("place_suffixes")
MAX_PINYIN_READINGS = 32  # heteronyms multiply; a name never needs more
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """Full-width → half-width, traditional → simplified, ASCII upper → lower; all 1:1."""
    table: dict[int, str] = {}
    dictionary = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1:
            table[ord(trad)] = simp
    for code in range(0xFF01, 0xFF5F):  # ！ … ～
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for code in range(ord("Ａ"), ord("Ｚ") + 1):
        table[code] = chr(code - 0xFEE0 + 32)
    table[ord("—")] = "-"
    table[ord("－")] = "-"
    return table


@lru_cache(maxsize=1)
def _foldable() -> re.Pattern:
    chars = "".join(chr(c) for c in fold_table())
    return re.compile("[" + re.escape(chars) + "]")


def fold(text: str) -> str:
    """Same-length folding for scanning: width, 繁→简, case. Most plan text needs none, and
    finding that out is far cheaper than translating."""
    if _foldable().search(text) is None:
        return text
    return text.translate(fold_table())


def clean_query(text: str) -> str:
    """Remove control and zero-width characters and trim; keeps the rest untouched."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def normalise(name: str, strip_prefix: bool = False) -> str:
    """Key for matching: folded, without quotes and spaces; with ``strip_prefix`` also without
    a leading 重庆/重庆市 (for queries: "重庆市礼嘉"; never for names: 重庆北站 is not 北站)."""
    key = fold(clean_query(name))
    key = "".join(ch for ch in key if ch not in _DROPPED)
    if not strip_prefix:
        return key
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix):]
            break
    return key


def base_name(key: str) -> str:
    """A normalised key without its place-type suffix (礼嘉街道 → 礼嘉); '' when nothing is left
    worth matching (one character)."""
    for suffix in PLACE_SUFFIXES:
        if key.endswith(suffix):
            stem = key[: -len(suffix)]
            return stem if len(stem) >= 2 else ""
    return ""


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def latin_key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalpha())


def pinyin_keys(text: str) -> set[str]:
    """Every reading of ``text`` in toneless pinyin, joined (heteronyms give several)."""
    from pypinyin import Style, pinyin  # here: its dictionaries take 0.3 s to import

    readings = pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")
    combos = itertools.islice(itertools.product(*readings), MAX_PINYIN_READINGS)
    return {latin_key("".join(c)) for c in combos}


def pinyin_text(text: str) -> str:
    """``text``'s most common reading in toneless pinyin, joined (果园港 → guoyuangang): one
    reading to show beside a name; searches use ``pinyin_keys``."""
    from pypinyin import Style, pinyin

    return latin_key("".join(r[0] for r in pinyin(text, style=Style.NORMAL, errors="ignore")))


def pinyin_initials(text: str) -> set[str]:
    """First letters of every reading (果园港 → gyg), for searches typed as initials."""
    from pypinyin import Style, pinyin

    readings = pinyin(text, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    combos = itertools.islice(itertools.product(*readings), MAX_PINYIN_READINGS)
    return {latin_key("".join(c)) for c in combos}
