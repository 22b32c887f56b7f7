"""Popups and tooltips of the map: every text from a plan, the gazetteer or a planner is
escaped here (``e``), and braces become entities so folium's templates cannot run them."""

from __future__ import annotations

import html
import math
from datetime import datetime, timedelta, timezone

from geo.city import CITY
from layers.schema import COLOURS, NOTE_STATUS_LABELS, first_source, section_path, source_count

EXCERPT_CHARS = 240  # a popup quotes this much of the source sentence; the table has it all
UNVERIFIED_LABEL = "未核实"
CORRECTION_COLOUR = COLOURS["correction"]


def e(text) -> str:
    """Text made safe for the map: HTML-escaped, and braces as entities. folium (branca)
    re-parses rendered scripts as Jinja templates, data included, so "{{ … }}" in a plan or a
    note would otherwise run as template code on the server."""
    return html.escape(str(text)).replace("{", "&#123;").replace("}", "&#125;")


def _quote(text: str) -> str:
    return e(text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…")


def precision_text(metres, unknown: str = "精度未知") -> str:
    """A precision as a planner reads it: ±300 米, ±5 千米; ``unknown`` when there is none."""
    if metres is None or (isinstance(metres, float) and math.isnan(metres)):
        return unknown
    return f"±{metres / 1000:g} 千米" if metres >= 1000 else f"±{metres:.0f} 米"


def project_popup(row, documents: dict[str, str]) -> str:
    """Name, document and section, the source sentence, places with precision, sectors."""
    src = first_source(row)
    doc = documents.get(src["doc_id"], src["doc_id"])
    section = section_path(src)
    places = "".join(f"<li>{e(p['name'])}（{precision_text(p['precision_m'])}"
                     f"{'，待核实' if p['status'] == 'review' else ''}"
                     f"{'，' + UNVERIFIED_LABEL if p.get('unverified') else ''}）</li>"
                     for p in row["places"])
    sectors = "、".join(e(s["name"]) + ("（近似）" if s["approximate"] else "")
                       for s in row["sectors"])
    more = source_count(row) - 1
    parts = [f"<b>{e(row['name'])}</b> <small>{e(row['category'])}</small>",
             f"<div><small>{e(doc)}：{e(section)}</small></div>",
             f"<blockquote style='margin:4px 0;color:#444'>{_quote(src['excerpt'])}</blockquote>"]
    if more > 0:
        parts.append(f"<div><small>另见 {more} 处出处</small></div>")
    if places:
        parts.append(f"<div>地点：<ul style='margin:0;padding-left:16px'>{places}</ul></div>")
    if sectors:
        parts.append(f"<div>所属片区：{sectors}</div>")
    if row.get("partial"):
        parts.append(f"<div><small>线路延伸至市外（{e('、'.join(row['outside']))}），"
                     "图上画至市界</small></div>")
    if row["schematic"]:
        parts.append("<div><small>线路按地点顺序示意，非实际走向</small></div>")
    if row["status"] in ("review", "unlocated"):  # a planner's location needs no warning
        parts.append(f"<div style='color:#a04000'>{e(row['reason'] or '待核实')}</div>")
    return "<div style='max-width:360px'>" + "".join(parts) + "</div>"


def place_popup(row) -> str:
    aliases = "、".join(row["aliases"] or [])
    return ("<div style='max-width:320px'>"
            f"<b>{e(row['name'])}</b> <small>{e(row['kind_label'])}</small>"
            + (f"<div><small>别名：{e(aliases)}</small></div>" if aliases else "")
            + f"<div>{e(row['district'] or CITY.name)} · {precision_text(row['precision_m'])}</div>"
            + (f"<div style='color:#a04000'>{UNVERIFIED_LABEL}：坐标凭记忆，无独立核对</div>"
               if row.get("unverified") else "")
            + f"<div><small>来源：{e(row['source'])}</small></div>"
            + (f"<div><small>许可：{e(row['licence'])}</small></div>" if row.get("licence")
               else "")
            + "</div>")


def focus_popup(kind: str, row, documents: dict[str, str]) -> str:
    """The popup of a focused project or place (a catalogue.Catalogue.focus_row)."""
    return project_popup(row, documents) if kind == "project" else place_popup(row)


def sector_popup(row) -> str:
    flags = [w for w, on in (("近似", row["approximate"]), ("示意", row["schematic"])) if on]
    return ("<div style='max-width:360px'>"
            f"<b>{e(row['name'])}</b> <small>{e(row['kind_label'])}"
            f"{'（' + '、'.join(flags) + '）' if flags else ''}</small>"
            f"<div><small>{e(row['structure'])} · {e(row['element'])}</small></div>"
            f"<blockquote style='margin:4px 0;color:#444'>{_quote(row['sentence'])}</blockquote>"
            + (f"<div style='color:#a04000'>{e(row['reason'])}</div>" if row["reason"] else "")
            + "</div>")


LOCAL_TIME = timezone(timedelta(hours=8))  # Chongqing (Beijing time, no daylight saving)


def short_time(iso: str) -> str:
    """A stored UTC time as Chongqing's local time, to the minute."""
    return datetime.fromisoformat(iso).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def local_date() -> str:
    """Today in Chongqing, YYYY-MM-DD (a server on UTC is still on yesterday before 08:00)."""
    return datetime.now(LOCAL_TIME).date().isoformat()


def _note_html(note: str) -> str:
    return e(note).replace("\n", "<br>") if note else "<i>（无备注）</i>"


def annotation_popup(row, target_label: str = "") -> str:
    """A planner's note as text (escaped: a note is typed by anyone who may write)."""
    tags = "".join(f"<span style='background:#eef;border-radius:3px;padding:0 4px;"
                   f"margin-right:3px'>{e(t)}</span>" for t in row["tags"])
    parts = [f"<b>标注</b> <small>{e(NOTE_STATUS_LABELS.get(row['status'], row['status']))}"
             f"</small>",
             f"<div style='white-space:normal;margin:4px 0'>{_note_html(row['note'])}</div>"]
    if tags:
        parts.append(f"<div>{tags}</div>")
    if target_label:
        parts.append(f"<div style='color:{CORRECTION_COLOUR}'>更正对象：{e(target_label)}</div>")
    # Beijing time, as the lists show it (the store keeps UTC)
    parts.append(f"<div><small>{e(row['author'])} · {e(short_time(row['updated_at']))}"
                 f" · 第 {int(row['version'])} 版</small></div>")
    return "<div class='planmap-annotation' style='max-width:320px'>" + "".join(parts) + "</div>"


def correction_note(row) -> str:
    """The line a corrected project or place shows: who moved it, when, why."""
    note = f"：{_note_html(row['correction_note'])}" if row["correction_note"] else ""
    return (f"<div style='color:{CORRECTION_COLOUR};margin-top:4px'><b>规划师更正</b>"
            f"（{e(row['corrected_by'])}，{e(row['corrected_at'])}）{note}</div>")
