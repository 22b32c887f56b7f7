"""The nouns of extraction: a project, where a plan names it (Source), the places it cites
(PlaceRef), and a candidate name found in a document before projects are merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layers.ingest.documents import Document

FOUND_BY_RANK = {"block": 0, "entry": 1, "list": 2, "entity": 3}


@dataclass(frozen=True)
class Source:
    """Where a plan names a project: [start, end) is the excerpt's span in the original text."""

    doc_id: str
    sections: tuple[str, ...]
    start: int
    end: int
    excerpt: str
    found_by: str  # entry | list | block | entity


@dataclass
class PlaceRef:
    place_id: str | None
    name: str
    text: str
    status: str
    confidence: float
    precision_m: float | None = None
    candidates: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()  # every way the plan wrote it (明月湖 for 两江协同创新区)
    unverified: bool = False  # the place's coordinate is from memory, unchecked (未核实)

    def as_dict(self) -> dict:
        return {"id": self.place_id, "name": self.name, "text": self.text,
                "texts": list(self.texts),
                "status": self.status, "confidence": self.confidence,
                "precision_m": self.precision_m, "candidates": list(self.candidates),
                "unverified": self.unverified}


@dataclass
class Project:
    id: str
    name: str
    category: str
    sources: list[Source] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    geometry_kind: str = "none"  # point | line | area | multi | none
    geometry: object = None
    precision_m: float | None = None
    status: str = "unlocated"  # auto | review | unlocated
    reason: str = ""
    schematic: bool = False  # a line drawn straight through places, not the real course
    partial: bool = False  # a route that leaves the city, drawn up to its boundary
    outside: list[str] = field(default_factory=list)  # that route's ends outside the city
    located_by: list[str] = field(default_factory=list)  # gazetteer ids the geometry is drawn from

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(s.doc_id for s in self.sources))


@dataclass
class Candidate:
    name: str
    doc: Document
    span: tuple[int, int]  # clean offsets of the excerpt
    description: str  # text whose places locate the project when its name names none
    found_by: str
    section_at: int  # clean offset whose section path is the project's
    lent_head: str = ""  # the list's shared head this name took (学团变电站 → 枣子变电站)
