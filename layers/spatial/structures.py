"""Structure definitions (``data/structures/*.yaml``): read, validated, and turned into
Structure / SectorDef / Member objects; a mistake is a StructureError naming file and item.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from geo.boundaries import district_by_name
from geo.datafile import load_yaml
from geo.paths import DATA_DIR
from layers.schema import SECTOR_KIND_LABELS

STRUCTURES_DIR = DATA_DIR / "structures"
METHODS = ("areas", "districts", "path", "loop", "line")
BELT_BUFFER_M = 2000.0  # the default belt half-width; per sector ``buffer_m`` overrides
STRUCTURE_KEYS = {"id", "name", "aliases", "subject", "theme", "sentence", "elements"}
ELEMENT_KEYS = {"label", "kind", "sentence", "sectors", "note"}
SECTOR_KEYS = {"name", "aliases", "geometry", "members", "defined_members", "sentence", "reach",
               "within", "buffer_m", "approximate", "note"}
MEMBER_KEYS = {"text", "place", "source"}
CN_COUNT = {"一": 1, "两": 2, "二": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
            "八": 8, "九": 9, "十": 10}


class StructureError(ValueError):
    """A structure file that cannot be read as written; the message says where and why."""


@dataclass(frozen=True)
class Member:
    text: str  # as the plan writes it
    place: str | None = None  # gazetteer id, when the text alone would resolve wrongly
    source: str = ""  # set when the member is not in the plan's text (a definition we add)


@dataclass(frozen=True)
class SectorDef:
    structure_id: str
    structure: str
    doc_id: str
    subject: str
    label: str
    kind: str
    name: str
    sentence: str  # the sentence that names this sector's members (or the element's/structure's)
    method: str | None  # None: the plan names no members
    members: tuple[Member, ...] = ()
    aliases: tuple[str, ...] = ()
    reach: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    buffer_m: float | None = None
    approximate: bool = False
    note: str = ""

    @property
    def id(self) -> str:
        digest = hashlib.sha1(f"{self.label}|{self.name}".encode()).hexdigest()[:6]
        return f"{self.structure_id}-{digest}"


@dataclass
class Structure:
    id: str
    name: str
    doc_id: str
    subject: str
    theme: str
    sentence: str
    aliases: tuple[str, ...]
    elements: list[dict] = field(default_factory=list)  # label, kind, sentence, note, sectors
    file: str = ""

    @property
    def sectors(self) -> list[SectorDef]:
        return [s for e in self.elements for s in e["sectors"]]


def label_count(label: str) -> int | None:
    """How many sectors a label promises: 三心 → 3, 一坪两山 → 3, 多网 → None (two or more)."""
    numerals = re.findall(rf"[{''.join(CN_COUNT)}多百]", label)
    if not numerals or any(n in "多百" for n in numerals):
        return None
    return sum(CN_COUNT[n] for n in numerals)


def _fail(where: str, message: str):
    raise StructureError(f"{where}：{message}")


def _check_keys(item, allowed: set, where: str) -> dict:
    if not isinstance(item, dict):
        _fail(where, "应为键值表")
    unknown = set(item) - allowed
    if unknown:
        _fail(where, f"未知字段 {'、'.join(sorted(unknown))}")
    return item


def _texts(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(where, "应为文字列表")
    return tuple(v.strip() for v in value)


def _member(item, where: str) -> Member:
    if isinstance(item, str):
        return Member(item.strip())
    _check_keys(item, MEMBER_KEYS, where)
    if not isinstance(item.get("text"), str):
        _fail(where, "成员缺少 text")
    return Member(item["text"].strip(), item.get("place"), item.get("source", ""))


def _sector(raw, structure: Structure, element: dict, where: str) -> SectorDef:
    _check_keys(raw, SECTOR_KEYS, where)
    if not isinstance(raw.get("name"), str):
        _fail(where, "缺少 name")
    method = raw.get("geometry")
    members = tuple(_member(m, f"{where}.members") for m in raw.get("members") or ())
    defined = raw.get("defined_members") or ()
    members += tuple(_member(m, f"{where}.defined_members") for m in defined)
    if any(m.source == "" for m in members[len(members) - len(defined):]):
        _fail(where, "defined_members 的每个成员须写明 source（规划文本之外的依据）")
    if method is not None and method not in METHODS:
        _fail(where, f"未知几何方法 {method}（可选：{'、'.join(METHODS)}）")
    if method is not None and not members:
        _fail(where, f"几何方法 {method} 需要成员")
    if method is None and members:
        _fail(where, "有成员却未写几何方法 geometry")
    buffer = raw.get("buffer_m")
    if buffer is not None and (not isinstance(buffer, (int, float)) or buffer <= 0):
        _fail(where, "buffer_m 应为正数（米）")
    if buffer is None and method == "line" and element["kind"] == "belt":
        buffer = BELT_BUFFER_M
    within = _texts(raw.get("within"), f"{where}.within")
    unknown = [n for n in within if district_by_name(n) is None]
    if unknown:
        _fail(where, f"within 中的 {'、'.join(unknown)} 不是区县")
    reach = _texts(raw.get("reach"), f"{where}.reach")
    if reach and (method != "line" or len(reach) != 2):
        _fail(where, "reach 只用于 line，且须为起止两处地名")
    return SectorDef(
        structure_id=structure.id, structure=structure.name, doc_id=structure.doc_id,
        subject=structure.subject, label=element["label"], kind=element["kind"],
        name=raw["name"].strip(),
        sentence=raw.get("sentence") or element["sentence"] or structure.sentence,
        method=method, members=members, aliases=_texts(raw.get("aliases"), where),
        reach=reach, within=within,
        buffer_m=float(buffer) if buffer is not None else None,
        approximate=bool(raw.get("approximate", False)), note=raw.get("note", "") or "")


def read_structure_file(path: Path) -> list[Structure]:
    where = path.name
    try:
        with open(path, encoding="utf-8") as f:
            data = load_yaml(f)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        _fail(where, f"无法读取（{exc}）")
    _check_keys(data, {"doc_id", "structures"}, where)
    doc_id = data.get("doc_id")
    if not isinstance(doc_id, str) or not isinstance(data.get("structures"), list):
        _fail(where, "须有 doc_id 和 structures 列表")
    out = []
    for i, raw in enumerate(data["structures"]):
        at = f"{where} structures[{i}]"
        _check_keys(raw, STRUCTURE_KEYS, at)
        for key in ("id", "name", "sentence"):
            if not isinstance(raw.get(key), str):
                _fail(at, f"缺少 {key}")
        structure = Structure(
            id=raw["id"], name=raw["name"], doc_id=doc_id, subject=raw.get("subject", ""),
            theme=raw.get("theme", ""), sentence=raw["sentence"],
            aliases=_texts(raw.get("aliases"), at), file=path.name)
        for j, el in enumerate(raw.get("elements") or ()):
            el_at = f"{at}.elements[{j}]"
            _check_keys(el, ELEMENT_KEYS, el_at)
            if not isinstance(el.get("label"), str) or el.get("kind") not in SECTOR_KIND_LABELS:
                _fail(el_at, f"须有 label 和 kind（可选：{'、'.join(SECTOR_KIND_LABELS)}）")
            element = {"label": el["label"], "kind": el["kind"],
                       "sentence": el.get("sentence", ""), "note": el.get("note", "") or "",
                       "sectors": []}
            sectors = el.get("sectors")
            if sectors == "unknown":
                # the plan gives the formula only: one row says so, with no geometry
                element["sectors"] = [SectorDef(
                    structure_id=structure.id, structure=structure.name, doc_id=doc_id,
                    subject=structure.subject, label=el["label"], kind=el["kind"],
                    name=el["label"], sentence=el.get("sentence") or structure.sentence,
                    method=None, note=element["note"])]
            elif isinstance(sectors, list) and sectors:
                element["sectors"] = [_sector(s, structure, element, f"{el_at}.sectors[{k}]")
                                      for k, s in enumerate(sectors)]
            else:
                _fail(el_at, "sectors 应为列表，或 unknown（规划未列出成员）")
            structure.elements.append(element)
        if not structure.elements:
            _fail(at, "没有 elements")
        out.append(structure)
    return out


def load_structures(directory: Path = STRUCTURES_DIR) -> list[Structure]:
    structures = [s for path in sorted(Path(directory).glob("*.yaml"))
                  for s in read_structure_file(path)]
    seen: dict[str, str] = {}
    for s in structures:
        if s.id in seen:
            raise StructureError(f"{s.file}：结构 id {s.id} 与 {seen[s.id]} 重复")
        seen[s.id] = s.file
        sector_ids = [d.id for d in s.sectors]
        if len(set(sector_ids)) != len(sector_ids):
            raise StructureError(f"{s.file}：结构 {s.id} 中有重名的单元")
    return structures
