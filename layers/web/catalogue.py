"""What the app shows: the built layers, filtered and searched, and the view as a URL query.

Everything here is plain data work on GeoDataFrames, so the Streamlit page stays a thin UI and
these rules are tested without a browser. A :class:`Catalogue` is built once per set of layers;
a :class:`ViewState` is what the planner chose (filters, search, focus, basemap) and round-trips
through the URL query string.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from gazetteer.normalise import (
    is_cjk,
    latin_key,
    normalise,
    pinyin_initials,
    pinyin_keys,
    pinyin_text,
)
from geo.city import CITY
from geo.datafile import load_yaml
from geo.paths import DATA_DIR
from layers.export import geojson_text
from layers.ingest.library import manifest as plan_manifest
from layers.notes.corrections import apply_corrections
from layers.schema import (
    PLACE_LABELS,
    PROJECT_STATUS_LABELS,
    category_order,
)
from layers.web.basemaps import BASEMAPS
from layers.web.popups import precision_text
from layers.web.state import VIEW_ZOOMS, ViewState, parse_view, split_list

GROUPS_FILE = DATA_DIR / "ingest" / "groups.yaml"
GROUP_PREFIX = "g:"  # a token in the project filter that stands for a group of projects
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Group:
    id: str  # token, starts with GROUP_PREFIX
    name: str
    project_ids: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """A search result: a project or a gazetteer place."""
    kind: str  # project | place
    id: str
    name: str
    detail: str
    rank: tuple


# --------------------------------------------------------------------------- catalogue


def read_groups(projects: gpd.GeoDataFrame, path: Path = GROUPS_FILE) -> list[Group]:
    """Groups a plan lists itself (``data/ingest/groups.yaml``): the projects of one sentence."""
    if not path.exists():
        return []
    try:
        spec = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{path.name}：不是有效的 YAML（{e}）") from e
    groups = []
    for entry in spec.get("groups", []):
        missing = {"id", "name", "doc_id", "sentence"} - set(entry)
        if missing:
            raise ValueError(f"{path.name}：分组缺少字段 {'、'.join(sorted(missing))}")
        ids = tuple(
            pid for pid, sources in zip(projects["id"], projects["sources"], strict=True)
            if any(s["doc_id"] == entry["doc_id"] and entry["sentence"] in s["excerpt"]
                   for s in sources))
        groups.append(Group(GROUP_PREFIX + entry["id"], entry["name"], ids))
    return groups


class Catalogue:
    """The layers with what filtering and search need, computed once."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame], manifest: dict | None = None):
        self.layers = layers
        self.token = uuid.uuid4().hex  # names what is made from this catalogue (its downloads)
        projects = layers["projects"]
        self.projects = projects
        self.places = layers["places"]
        self.sectors = layers["sectors"]
        self.districts = layers["districts"]
        manifest = plan_manifest() if manifest is None else manifest
        self._manifest = manifest
        self._corrected_key, self._corrected = None, None
        titles = {row["doc_id"]: row.get("short_title") or row["title"]
                  for row in manifest.values()}
        doc_ids = sorted({d for ds in projects["doc_ids"] for d in ds},
                         key=lambda d: (list(titles).index(d) if d in titles else len(titles), d))
        self.documents = {d: titles.get(d, d) for d in doc_ids}
        self.categories = sorted(set(projects["category"]), key=category_order)
        self.structures = dict(zip(self.sectors["structure_id"], self.sectors["structure"], strict=True))
        self.sector_names = dict(zip(self.sectors["id"], self.sectors["name"], strict=True))
        self.sector_structure = dict(zip(self.sectors["id"], self.sectors["structure_id"], strict=True))
        county = self.districts[self.districts["level"] != "municipality"]
        self.district_names = list(county["name"])
        place_district = dict(zip(self.places["id"], self.places["district"], strict=True))
        # derived per-project columns, aligned with ``projects``
        self.project_districts = [
            sorted({place_district.get(p["id"], "") for p in places} - {""})
            for places in projects["places"]]
        self.project_confidence = np.array([
            min((p["confidence"] for p in places), default=0.0) if status != "unlocated" else 0.0
            for places, status in zip(projects["places"], projects["status"], strict=True)])
        self.project_sectors = [[s["id"] for s in sectors] for sectors in projects["sectors"]]
        self.groups = read_groups(projects) + self._document_category_groups()
        self.group_by_id = {g.id: g for g in self.groups}
        self.project_index = {pid: i for i, pid in enumerate(projects["id"])}
        self._search_rows = None
        self._layer_geojson: dict[str, str] = {}
        self._place_index = {pid: i for i, pid in enumerate(self.places["id"])}

    def _document_category_groups(self) -> list[Group]:
        groups = []
        for doc_id, title in self.documents.items():
            for category in self.categories:
                ids = tuple(pid for pid, docs, cat in zip(self.projects["id"],
                                                          self.projects["doc_ids"],
                                                          self.projects["category"], strict=True)
                            if doc_id in docs and cat == category)
                if ids:
                    groups.append(Group(f"{GROUP_PREFIX}{doc_id}/{category}",
                                        f"{title} · {category}", ids))
        return groups

    # ----------------------------------------------------------------- options for the UI

    def project_options(self) -> list[str]:
        """Groups first, then every project ordered by document and category."""
        order = {d: i for i, d in enumerate(self.documents)}
        cats = {c: i for i, c in enumerate(self.categories)}
        keyed = sorted(zip(self.projects["id"], self.projects["doc_ids"],
                           self.projects["category"], self.projects["name"], strict=True),
                       key=lambda r: (min(order.get(d, 99) for d in r[1]) if r[1] else 99,
                                      cats.get(r[2], 99), r[3]))
        return [g.id for g in self.groups] + [r[0] for r in keyed]

    def option_label(self, token: str) -> str:
        group = self.group_by_id.get(token)
        if group is not None:
            return f"▣ {group.name}（{len(group.project_ids)} 项）"
        return self._project_labels.get(token, token)

    @cached_property
    def _project_labels(self) -> dict[str, str]:
        # the project filter formats a thousand options on every rerun: build the labels once.
        # The pinyin at the end lets the filter's fuzzy match find 果园港 by guoyuangang or gyg.
        return {pid: f"{name} · {category} · "
                     + "、".join(self.documents.get(d, d) for d in docs)
                     + f" · {pinyin_text(name)}"
                for pid, name, category, docs in zip(
                    self.projects["id"], self.projects["name"], self.projects["category"],
                    self.projects["doc_ids"], strict=True)}

    def sector_options(self, structures: list[str] = ()) -> list[str]:
        keep = self.sectors["structure_id"].isin(structures) if structures else slice(None)
        return list(self.sectors.loc[keep, "id"])

    def sector_label(self, sector_id: str) -> str:
        structure = self.structures.get(self.sector_structure.get(sector_id, ""), "")
        return f"{self.sector_names.get(sector_id, sector_id)}（{structure}）"

    @cached_property
    def major_places(self) -> gpd.GeoDataFrame:
        """The places written on the blank basemap (schema.yaml place_labels): those the plans
        cite for the most projects, most cited first."""
        cited = Counter(p["id"] for places in self.projects["places"] for p in places)
        keep = [self._place_index[pid] for pid, n in cited.most_common()
                if n >= PLACE_LABELS["min_citations"] and pid in self._place_index]
        major = self.places.iloc[keep]
        return major[~major["kind"].isin(PLACE_LABELS["except_kinds"])]

    # ----------------------------------------------------------------- state

    def describe(self, state: ViewState, limit: int = 6) -> str:
        """The filter of ``state`` in words, for a printed map's subtitle: "区县：万州区；类别：交通"
        (at most ``limit`` values a field, then "等 N 项"); "全部项目" when nothing is chosen."""
        labels = {"projects": self.option_label, "structures": self.structures.get,
                  "sectors": lambda s: self.sector_names.get(s, s),
                  "documents": self.documents.get, "statuses": PROJECT_STATUS_LABELS.get}
        parts = []
        for name, field_label in FIELD_LABELS.items():
            values = [labels.get(name, str)(v) or v for v in getattr(state, name)]
            if values:
                more = f"等 {len(values)} 项" if len(values) > limit else ""
                parts.append(f"{field_label}：{'、'.join(values[:limit])}{more}")
        if state.min_confidence:
            parts.append(f"最低置信度：{state.min_confidence:g}")
        return "；".join(parts) or "全部项目"

    @staticmethod
    def _current_districts(values: list[str], problems: list[str]) -> list[str]:
        from gazetteer.admin import successor

        out = []
        for v in values:
            found = successor(v)
            if found is not None:
                problems.append(f"链接中的{v}已于 {found[1]} 并入{found[0]}，按{found[0]}筛选")
                v = found[0]
            if v not in out:
                out.append(v)
        return out

    def state_from_query(self, params) -> tuple[ViewState, list[str]]:
        """A ViewState from URL parameters; values that name nothing known are dropped and
        reported (a stale or mistyped link still opens, and says what it ignored)."""
        state, problems = ViewState(), []
        known = {
            "projects": set(self.project_index) | set(self.group_by_id),
            "structures": set(self.structures), "sectors": set(self.sector_names),
            "documents": set(self.documents), "categories": set(self.categories),
            "districts": set(self.district_names), "statuses": set(PROJECT_STATUS_LABELS),
        }
        for name, key in ViewState.QUERY_KEYS.items():
            if key not in params:
                continue
            raw = params[key]
            if name in known:
                values = split_list(raw)
                if name == "districts":  # a link made before 2026 may name 渝北区
                    values = self._current_districts(values, problems)
                bad = [v for v in values if v not in known[name]]
                if bad:
                    problems.append(f"链接中的{FIELD_LABELS[name]}无法识别，已忽略：{'、'.join(bad)}")
                setattr(state, name, [v for v in values if v in known[name]])
            elif name == "min_confidence":
                try:
                    value = float(split_list(raw)[0])
                    if not 0.0 <= value <= 1.0:
                        raise ValueError
                    state.min_confidence = value
                except (ValueError, IndexError):
                    problems.append(f"链接中的最低置信度“{raw}”不是 0 到 1 之间的数，已忽略")
            elif name == "basemap":
                value = raw if isinstance(raw, str) else split_list(raw)[0]
                if value in BASEMAPS:
                    state.basemap = value
                else:
                    problems.append(f"链接中的底图“{value}”无法识别，已使用空白底图")
            elif name == "view":
                value = raw if isinstance(raw, str) else ",".join(raw)
                if parse_view(value, CITY.bbox, VIEW_ZOOMS):
                    state.view = value
                else:
                    problems.append(f"链接中的地图视野“{value[:40]}”无法识别，已按筛选显示")
            elif name == "focus":
                value = raw if isinstance(raw, str) else ",".join(raw)
                if self.focus_geometry(value) is not None:
                    state.focus = value
                elif self.focus_row(value) is not None:
                    problems.append(f"链接中的“{self.focus_row(value)[1]['name']}”未定位，"
                                    "无法在地图上显示")
                else:
                    problems.append(f"链接中的定位对象“{value}”不存在，已忽略")
            else:  # query: free text, kept as typed
                state.query = (raw if isinstance(raw, str) else ",".join(raw))[:100]
        return state, problems

    # ----------------------------------------------------------------- filtering

    def mask(self, state: ViewState) -> np.ndarray:
        """Which projects the view shows; filters combine (AND), values within one filter OR."""
        projects = self.projects
        keep = np.ones(len(projects), dtype=bool)
        if state.projects:
            chosen = set()
            for token in state.projects:
                group = self.group_by_id.get(token)
                chosen.update(group.project_ids if group else [token])
            keep &= projects["id"].isin(chosen).to_numpy()
        if state.sectors or state.structures:
            wanted = set(state.sectors)
            if not state.sectors:  # a structure alone means any of its sectors
                wanted = {s for s, st in self.sector_structure.items() if st in state.structures}
            keep &= np.array([bool(wanted.intersection(s)) for s in self.project_sectors])
        if state.documents:
            wanted = set(state.documents)
            keep &= np.array([bool(wanted.intersection(d)) for d in projects["doc_ids"]])
        if state.categories:
            keep &= projects["category"].isin(state.categories).to_numpy()
        if state.districts:
            wanted = set(state.districts)
            keep &= np.array([bool(wanted.intersection(d)) for d in self.project_districts])
        if state.statuses:
            keep &= projects["status"].isin(state.statuses).to_numpy()
        if state.min_confidence > 0:
            keep &= self.project_confidence >= state.min_confidence
        return keep

    def select(self, state: ViewState) -> gpd.GeoDataFrame:
        return self.projects[self.mask(state)]

    def layer_geojson(self, name: str, fixes=None) -> str:
        """A whole layer as GeoJSON text, with the planners' corrections (``fixes``, from
        ``annotations.corrections``) applied; built once per catalogue and kept."""
        if fixes is not None and len(fixes):
            return self.with_corrections(fixes).layer_geojson(name)
        if name not in self._layer_geojson:
            self._layer_geojson[name] = geojson_text(self.layers[name], name=name)
        return self._layer_geojson[name]

    def selection_geojson(self, selected: gpd.GeoDataFrame, fixes=None) -> str:
        """The selected projects as GeoJSON text, corrections applied; all of them is the
        whole layer."""
        shown = self.with_corrections(fixes)
        if len(selected) == len(shown.projects) and set(selected["id"]) == set(shown.projects["id"]):
            return shown.layer_geojson("projects")
        return geojson_text(shown.projects[shown.projects["id"].isin(set(selected["id"]))],
                            name="projects")

    def with_corrections(self, fixes) -> Catalogue:
        """The catalogue as the planners corrected it (``fixes``, from
        ``annotations.corrections``): corrected projects are located where they were put
        (status ``corrected``), moved places move the projects drawn from them; counts,
        filters, search, focus, table and exports then all say so. One per set of fixes."""
        if fixes is None or not len(fixes):
            return self
        key = tuple(zip(fixes.index, fixes["id"], fixes["updated_at"], strict=True))
        if self._corrected_key != key:
            places = self.layers["places"]
            layers = dict(self.layers, places=apply_corrections(places, fixes),
                          projects=apply_corrections(self.layers["projects"], fixes, places))
            self._corrected_key, self._corrected = key, Catalogue(layers, self._manifest)
        return self._corrected

    def target_options(self) -> list[str]:
        """What an annotation may correct: every project, then every place."""
        return list(self.projects["id"]) + list(self.places["id"])

    def target_label(self, target_id: str) -> str:
        if target_id in self.project_index:
            row = self.projects.iloc[self.project_index[target_id]]
            return f"项目：{row['name']}（{row['category']}）"
        if target_id in self._place_index:
            row = self.places.iloc[self._place_index[target_id]]
            return f"地名：{row['name']}（{row['district'] or CITY.name}）"
        return f"（已不存在：{target_id}）"

    def visible_sectors(self, state: ViewState) -> gpd.GeoDataFrame:
        """Sectors to draw: the chosen ones, else those of the chosen structures, else all."""
        sectors = self.sectors
        if state.sectors:
            return sectors[sectors["id"].isin(state.sectors)]
        if state.structures:
            return sectors[sectors["structure_id"].isin(state.structures)]
        return sectors

    def table(self, selected: gpd.GeoDataFrame) -> pd.DataFrame:
        """The filtered projects as the table shows them (Chinese headings, no geometry)."""
        idx = [self.project_index[pid] for pid in selected["id"]]
        return pd.DataFrame({
            "名称": selected["name"].to_numpy(),
            "类别": selected["category"].to_numpy(),
            "文档": ["、".join(self.documents.get(d, d) for d in ds) for ds in selected["doc_ids"]],
            "状态": [PROJECT_STATUS_LABELS.get(s, s) for s in selected["status"]],
            "置信度": self.project_confidence[idx] if idx else [],
            # text: an unlocated project has no precision, which a number column shows as "None"
            "精度": [precision_text(m, unknown="—") for m in selected["precision_m"]],
            "区县": ["、".join(self.project_districts[i]) for i in idx],
            "所属片区": ["、".join(s["name"] for s in ss) for ss in selected["sectors"]],
            "出处": selected["source"].to_numpy(),
        }, index=pd.Index(selected["id"].to_numpy(), name="id"))

    # ----------------------------------------------------------------- search and focus

    def _rows(self) -> list[tuple]:
        """(kind, id, name, detail, normalised names, pinyin keys, initials) per entry."""
        if self._search_rows is None:
            rows = []
            for pid, name, category in zip(self.projects["id"], self.projects["name"],
                                           self.projects["category"], strict=True):
                rows.append(("project", pid, name, f"项目 · {category}", [name]))
            for pid, name, aliases, kind, district in zip(
                    self.places["id"], self.places["name"], self.places["aliases"],
                    self.places["kind_label"], self.places["district"], strict=True):
                rows.append(("place", pid, name, f"地名 · {kind} · {district or CITY.short_name}",
                             [name, *list(aliases or [])]))
            self._search_rows = [
                (kind, pid, name, detail, [normalise(n) for n in names],
                 set().union(*(pinyin_keys(normalise(n)) for n in names)),
                 set().union(*(pinyin_initials(normalise(n)) for n in names)))
                for kind, pid, name, detail, names in rows]
        return self._search_rows

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[Hit]:
        """Places and projects whose name or alias contains the query, in 汉字 (繁体 and
        full-width folded) or pinyin (full, any spacing or case, or initials such as gyg).
        Exact matches first, then prefixes, then the rest; shorter names before longer."""
        key = normalise(query, strip_prefix=True)
        if not key:
            return []
        hits = []
        if any(is_cjk(ch) for ch in key):
            for kind, pid, name, detail, norms, _, _ in self._rows():
                best = min((_match_rank(key, n) for n in norms), default=None)
                if best is not None and best < 3:
                    hits.append(Hit(kind, pid, name, detail, (best, len(name), kind != "place")))
        else:
            latin = latin_key(key)
            if len(latin) < 2:
                return []
            for kind, pid, name, detail, _, full, initials in self._rows():
                ranks = [_match_rank(latin, k) for k in full]
                ranks += [r + 0.5 for r in (_match_rank(latin, k) for k in initials) if r < 2]
                best = min(ranks, default=3)
                if best < 3:
                    hits.append(Hit(kind, pid, name, detail, (best, len(name), kind != "place")))
        hits.sort(key=lambda h: h.rank)
        return hits[:limit]

    def focus_row(self, focus: str) -> tuple[str, pd.Series] | None:
        """(kind, record) of a ``project:<id>`` / ``place:<id>`` focus, or None."""
        kind, _, ident = (focus or "").partition(":")
        frame = {"project": self.projects, "place": self.places}.get(kind)
        if frame is None or not ident:
            return None
        rows = frame[frame["id"] == ident]
        return (kind, rows.iloc[0]) if len(rows) else None

    def focus_geometry(self, focus: str):
        """The geometry a focus stands for; None when it names nothing or nothing located."""
        found = self.focus_row(focus)
        geometry = found[1].geometry if found else None
        return None if geometry is None or geometry.is_empty else geometry


def _match_rank(needle: str, hay: str) -> int:
    if hay == needle:
        return 0
    if hay.startswith(needle):
        return 1
    if needle in hay:
        return 2
    return 3


FIELD_LABELS = {"projects": "项目", "structures": "空间结构", "sectors": "片区/板块",
                "documents": "文档", "categories": "类别", "districts": "区县",
                "statuses": "状态"}
