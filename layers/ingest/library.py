"""The plans the map is built from: the seed plans that ship in data/plans (their manifest
beside them, read-only) and the plans planners add — ``python -m layers add`` or the app's
文档 page — kept in the data folder (``<PLANMAP_DATA_DIR>/plans`` with a manifest of their
own), never in the source tree, so they survive restarts and upgrades of the code.

An added plan is stored under an id made from its content (``u`` + 10 hex digits of its
SHA-256): the same file added again is the same plan, and its projects keep their ids, so
the decisions planners made about them still apply."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import os
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from geo.datafile import load_yaml
from geo.paths import DATA_DIR, data_dir
from layers.ingest.documents import Document, opens_section, parse
from layers.ingest.readers import (
    MANIFEST,
    PLANS_DIR,
    load_documents,
    plan_files,
    read_manifest,
    read_plan,
)

COLUMNS = ["doc_id", "file", "title", "short_title", "issuer", "date", "kind", "source_note",
           "original_name", "size", "reading", "added_by", "added_at"]
DETAILS_FILE = DATA_DIR / "ingest" / "details.yaml"
SHORT_TITLE_CHARS = 24


def added_dir() -> Path:
    return data_dir() / "plans"


def added_manifest() -> Path:
    return added_dir() / "manifest.csv"


def manifest() -> dict[str, dict]:
    """file name → row, the seed plans' and the added ones'."""
    return {**read_manifest(MANIFEST), **read_manifest(added_manifest())}


def all_plan_files() -> list[Path]:
    """The seed plans, then the added ones in the order they were added."""
    added = read_manifest(added_manifest())
    return plan_files(PLANS_DIR) + [added_dir() / f for f in added if (added_dir() / f).exists()]


def load_all() -> list[Document]:
    return load_documents(all_plan_files(), manifest())


def plan_rows() -> list[dict]:
    """Every plan as the 文档 page lists it: its manifest row, ``origin`` (seed | added) and
    the file's format and size."""
    rows = []
    seeds, added = read_manifest(MANIFEST), read_manifest(added_manifest())
    for path in all_plan_files():
        seed = path.parent == PLANS_DIR
        row = dict((seeds if seed else added).get(path.name, {}))
        row.setdefault("doc_id", path.stem)
        row.update(origin="seed" if seed else "added", format=path.suffix.lower().lstrip("."),
                   size=path.stat().st_size)
        rows.append(row)
    return rows


@contextmanager
def _locked():
    """One writer at a time across processes (several app servers share the data folder)."""
    added_dir().mkdir(parents=True, exist_ok=True)
    with open(added_dir() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_manifest(rows: dict[str, dict]) -> None:
    tmp = added_manifest().with_suffix(f".partial-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows.values())
    tmp.replace(added_manifest())


def content_id(raw: bytes) -> str:
    return "u" + hashlib.sha256(raw).hexdigest()[:10]


def read_upload(raw: bytes, name: str) -> Document:
    """An uploaded file read and parsed, not stored: what the planner checks before adding
    it (ValueError naming the problem when it cannot be read)."""
    reading = read_plan(raw, name)
    text = reading.text.replace("\r\n", "\n").replace("\r", "\n")
    return parse(text, content_id(raw), file=name, reading=reading.how)


def add_plan(raw: bytes, name: str, *, title: str = "", issuer: str = "", date: str = "",
             kind: str = "", by: str = "") -> dict:
    """Store a plan file in the data folder and list it in the added manifest; its manifest
    row. The file is read first: one that cannot be read is refused (ValueError) and nothing
    is stored. Adding a file already added replaces its details."""
    date = clean_detail(date)
    if date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
        raise ValueError(f"日期“{date}”的格式不对：应为 2021-10-25、2021-10 或 2021")
    doc = read_upload(raw, name)
    suggested = suggest_details(doc)
    title = clean_detail(title) or suggested["title"]
    row = {"doc_id": doc.doc_id, "file": doc.doc_id + Path(name).suffix.lower(),
           "title": title, "short_title": short_title(title),
           "issuer": clean_detail(issuer) or suggested["issuer"],
           "date": date or suggested["date"],
           "kind": clean_detail(kind) or suggested["kind"], "source_note": "",
           "original_name": Path(name).name, "size": len(raw), "reading": doc.reading,
           "added_by": by, "added_at": datetime.now(UTC).isoformat(timespec="seconds")}
    with _locked():
        path = added_dir() / row["file"]
        tmp = path.with_suffix(f".partial-{os.getpid()}")
        tmp.write_bytes(raw)
        tmp.replace(path)
        rows = read_manifest(added_manifest())
        rows[row["file"]] = row
        _write_manifest(rows)
    return row


def remove_plan(doc_id: str) -> dict:
    """Take an added plan out (its file and manifest row); its row. A seed plan ships with the
    program and cannot be removed (ValueError)."""
    if doc_id in {r["doc_id"] for r in read_manifest(MANIFEST).values()}:
        raise ValueError(f"{doc_id} 是随程序提供的规划，不能删除")
    with _locked():
        rows = read_manifest(added_manifest())
        hit = next((f for f, r in rows.items() if r["doc_id"] == doc_id), None)
        if hit is None:
            raise ValueError(f"没有编号为 {doc_id} 的已添加规划")
        row = rows.pop(hit)
        _write_manifest(rows)
        (added_dir() / hit).unlink(missing_ok=True)
    return row


# --------------------------------------------------------------------------- details


@cache
def details_rules() -> dict:
    with open(DETAILS_FILE, encoding="utf-8") as f:
        return load_yaml(f)


def clean_detail(value: str, limit: int = 200) -> str:
    """A title, issuer or date as typed: one line, no control characters, trimmed."""
    value = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value or ""))
    return " ".join(value.split())[:limit]


def short_title(title: str) -> str:
    return title if len(title) <= SHORT_TITLE_CHARS else title[:SHORT_TITLE_CHARS - 1] + "…"


CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "О": 0}


def _cn_int(text: str) -> int | None:
    """二〇二一 → 2021 (digit by digit), 二十五 → 25, 十 → 10."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        digits = [CN_DIGIT.get(c) for c in text]
        return None if None in digits else int("".join(map(str, digits)))
    tens, _, ones = text.partition("十")
    t = CN_DIGIT.get(tens, None) if tens else 1
    o = CN_DIGIT.get(ones, None) if ones else 0
    return None if t is None or o is None else 10 * t + o


DATE = re.compile(r"([0-9]{4}|[〇○О零一二三四五六七八九]{4})\s*年\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})"
                  r"\s*月\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日")


def _dates(lines: list[str]) -> list[str]:
    found = []
    for line in lines:
        for m in DATE.finditer(line):
            y, mo, d = (_cn_int(g) for g in m.groups())
            if y and mo and d and 1900 < y < 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
                found.append(f"{y:04d}-{mo:02d}-{d:02d}")
    return found


def suggest_details(doc: Document) -> dict:
    """The title, issuer, date and kind the text itself suggests, for the planner to check:
    the plan an 关于印发《…》的通知 names, else the run of short unpunctuated lines it opens
    with (a title set over several lines); the issuing body before 关于, else a line of its
    own in the head or the signature; the signature's date, else the first full date."""
    rules = details_rules()
    lines = [" ".join(ln.split()) for ln in doc.text.splitlines() if ln.strip()]
    head, tail = lines[:rules["head_lines"]], lines[-rules["tail_lines"]:]
    joined = "".join(head)[:400]
    issuer_end = "|".join(rules["issuer_ends"])
    title = issuer = ""
    notice = re.search(r"(?:^|[\s）)])?([^，。；：:]{0,30}?)关于印发[《〈]?(.+?)[》〉]?的通知", joined)
    if notice:
        title = notice.group(2)
        if re.search(rf"(?:{issuer_end})$", notice.group(1)):
            issuer = notice.group(1)
    else:
        run = []
        for line in head:
            if opens_section(line):
                break
            if len(line) <= 40 and not re.search("[，。；：:、]", line):
                run.append(line)
            elif run:
                break
        candidate = "".join(run)
        title = candidate if re.search("|".join(rules["title_words"]), candidate) else \
            (lines[0][:60] if lines else "")
    if not issuer:
        own_line = re.compile(rf"^[^，。；：:（(]{{2,30}}(?:{issuer_end})$")
        issuer = next((ln for ln in [*head, *reversed(tail)] if own_line.match(ln)), "")
    # a document number (渝府办发〔2021〕110号) stands after 通知 or on a line of its own
    number = re.search(r"(?:通知|^|(?<=[^\u4e00-\u9fff]))([\u4e00-\u9fff]{2,6}[〔\[［(（]\d{4}"
                       r"[〕\]］)）]\s*\d+\s*号)", joined)
    if number and issuer:
        issuer = f"{issuer}（{number.group(1)}）"
    signed = _dates(tail)
    dates = signed or _dates(lines)
    kind = next((k for word, k in rules["kinds"].items() if word in title), rules["default_kind"])
    return {"title": clean_detail(title) or doc.doc_id, "issuer": clean_detail(issuer),
            "date": (signed[-1] if signed else dates[0]) if dates else "", "kind": kind}
