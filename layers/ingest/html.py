"""Web pages in: the article's text of a saved 政府信息公开 page, without its navigation,
breadcrumbs, metadata table, share buttons and footer, one line per block (a table row is one
line, ``tables.row_line``, so a 专栏 table reads as its items).

Standard library only (html.parser): a page is a small, forgiving document, and the rules of
what to drop are data (``data/ingest/html.yaml``)."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from gazetteer.normalise import is_cjk
from geo.datafile import load_yaml
from geo.paths import DATA_DIR
from layers.ingest.tables import row_line

RULES_FILE = DATA_DIR / "ingest" / "html.yaml"
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}


@cache
def rules() -> dict:
    with open(RULES_FILE, encoding="utf-8") as f:
        spec = load_yaml(f)
    return {**spec, "drop_tags": set(spec["drop_tags"]), "block_tags": set(spec["block_tags"])}


class _Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag: str, attrs: dict, parent):
        self.tag, self.attrs, self.children, self.parent = tag, attrs, [], parent


class _Tree(HTMLParser):
    """The page as nodes (strings for text), forgiving unclosed tags as browsers are."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, None)
        self.at = self.root

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(node)
        if tag not in VOID_TAGS:
            self.at = node

    def handle_endtag(self, tag):
        node = self.at
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:  # an end tag with no open element is ignored
            self.at = node.parent

    def handle_data(self, data):
        self.at.children.append(data)


def _dropped(node: _Node) -> bool:
    spec = rules()
    if node.tag in spec["drop_tags"]:
        return True
    tokens = f"{node.attrs.get('class', '')} {node.attrs.get('id', '')}".lower().split()
    return any(marker in token for token in tokens for marker in spec["drop_markers"])


def _prune(node: _Node) -> None:
    node.children = [c for c in node.children if isinstance(c, str) or not _dropped(c)]
    for child in node.children:
        if not isinstance(child, str):
            _prune(child)


def _chinese_chars(node) -> int:
    if isinstance(node, str):
        return sum(map(is_cjk, node))
    return sum(_chinese_chars(c) for c in node.children)


def _article(root: _Node) -> _Node:
    """The deepest element holding ``article_share`` of the page's Chinese text."""
    node, total = root, _chinese_chars(root)
    while True:
        elements = [c for c in node.children if not isinstance(c, str)]
        best = max(elements, key=_chinese_chars, default=None)
        if best is None or _chinese_chars(best) < rules()["article_share"] * total:
            return node
        node = best


def _lines(node, out: list[str]) -> None:
    if isinstance(node, str):
        out[-1] += node
        return
    block = node.tag in rules()["block_tags"]
    if block:
        out.append("")
    if node.tag == "tr":
        cells = []
        for cell in node.children:
            part = [""]
            _lines(cell, part)
            text = " ".join(p.strip() for p in part if p.strip())
            if text:
                cells.append(text)
        header = all(not isinstance(c, str) and c.tag == "th" for c in node.children
                     if not isinstance(c, str) or c.strip())
        out[-1] += row_line(cells, header)
    else:
        for child in node.children:
            _lines(child, out)
    if block:
        out.append("")


def html_text(page: str) -> str:
    """The article of ``page`` as text, one line per block; "" when the page has no text."""
    tree = _Tree()
    tree.feed(page)
    tree.close()
    _prune(tree.root)
    out = [""]
    _lines(_article(tree.root), out)
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in out)
    return "\n".join(line for line in lines if line)
