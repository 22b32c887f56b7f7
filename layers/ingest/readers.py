"""Plan files in, documents out: a reader per file format turns a file's bytes into text,
``documents.parse`` turns the text into a section tree; the manifest names each plan.

A new format (Word, PDF, web page) is one more entry in ``READERS``."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from geo.paths import DATA_DIR
from layers.ingest.documents import Document, parse

PLANS_DIR = DATA_DIR / "plans"
MANIFEST = PLANS_DIR / "manifest.csv"


def read_text(raw: bytes, name: str) -> str:
    """A plain-text plan: UTF-8 (with or without a byte-order mark)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"规划文件 {name} 不是 UTF-8 文本（第 {e.start} 字节）") from e


# file suffix → reader (bytes, file name → text); a reader raises ValueError with the reason
READERS: dict[str, Callable[[bytes, str], str]] = {".txt": read_text}


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
    text = reader(raw, path.name).replace("\r\n", "\n").replace("\r", "\n")
    row = manifest.get(path.name, {})
    return parse(text, row.get("doc_id") or path.stem, title=row.get("title", ""),
                 file=path.name, issuer=row.get("issuer", ""), date=row.get("date", ""),
                 kind=row.get("kind", ""))


def plan_files(directory: Path = PLANS_DIR) -> list[Path]:
    """The plans in ``directory``: every file a reader can read."""
    return sorted(p for p in Path(directory).iterdir() if p.suffix.lower() in READERS)


def load_documents(paths=None) -> list[Document]:
    manifest = read_manifest()
    return [load_document(p, manifest) for p in (paths or plan_files())]
