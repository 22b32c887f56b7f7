"""A table row as one line of plan text, the same for every format that has tables (web
pages, Word, PDF): a 专栏 table of 类别 | 项目 reads as the entry "类别：项目…" its plain text
would be, any other row as its cells joined by an ideographic space."""

from __future__ import annotations

import re

CELL_SEPARATOR = "　"
# a first cell that is a label: short, no sentence punctuation, not a number (序号 columns)
LABEL = re.compile(r"[^，。；：:、\s\d][^，。；：:、]{0,13}")


def row_line(cells: list[str], header: bool = False) -> str:
    """One line for a table row's cells (each already one line of text)."""
    cells = [c.strip() for c in cells if c and c.strip()]
    if not header and len(cells) == 2 and LABEL.fullmatch(cells[0]):
        return f"{cells[0]}：{cells[1]}"
    return CELL_SEPARATOR.join(cells)
