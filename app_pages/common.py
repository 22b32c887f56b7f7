"""What every page shares: settings, the catalogue, the annotation store and its cached
layers, who is signed in (the sidebar's sign-in) and the annotation filter. A page calls
``page_frame()`` first and wires its own widgets to what it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import streamlit as st

from layers.notes.access import Access, AccessError, User
from layers.notes.corrections import corrections
from layers.notes.model import SUGGESTED_TAGS, AnnotationError, target_of
from layers.notes.store import AnnotationStore
from layers.published import LayersUnavailable
from layers.schema import NOTE_STATUS_LABELS, ROLE_LABELS
from layers.web import features
from layers.web.catalogue import Catalogue
from layers.web.current import catalogue_or_last
from layers.web.elements import asset_text
from layers.web.settings import Settings
from layers.web.state import NoteFilter

# Widget values every page keeps: Streamlit forgets a widget's value on a page that does not
# draw it, unless the value is set again on each run.
KEPT = ("projects", "structures", "sectors", "documents", "categories", "districts",
        "statuses", "min_confidence", "query", "basemap", "show_places", "show_notes",
        "note_tags", "note_authors", "note_statuses")


def plain(text) -> str:
    """Plan or planner text for a Markdown element (subheader, caption, toast): its Markdown
    characters escaped, so a name reads as written and never turns into emphasis or a link
    (Streamlit shows HTML in Markdown as text already)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$])", r"\\\1", str(text or ""))


def write_then_rerun(write, refused: str, done, then=None) -> None:
    """One store write from a button: if refused, say why (nothing else changes; a form
    keeps what was typed); else ``then(result)``, and a rerun whose page toasts
    ``done(result)`` (page_frame shows it)."""
    try:
        result = write()
    except AnnotationError as problem:
        st.error(f"{refused}：{problem}")
        return
    if then is not None:
        then(result)
    st.session_state.flash = done(result)
    st.rerun()


def pick_many(label: str, options, **kwargs):
    """st.multiselect without its English "Select all" entry (no filter needs it: choosing
    nothing means all) and matching what is typed as an in-order subsequence, so pinyin in an
    option's label finds it by initials too (gyg → …guoyuangang)."""
    return st.multiselect(label, options, select_all=False, filter_mode="fuzzy", **kwargs)


def scroll_into_view(selector: str, nonce: int) -> None:
    """Scroll the page to the element ``selector`` picks (e.g. the map after a pick in the
    table below it). Streamlit has no scrolling call: a zero-height component runs the script
    in its frame, which shares the page's origin; ``nonce`` makes each request a new frame."""
    import json

    import streamlit.components.v1 as components

    components.html(f"<script>/* {int(nonce)} */ const el = window.parent.document"
                    f".querySelector({json.dumps(selector)});"
                    " if (el) el.scrollIntoView({block: 'start', behavior: 'instant'});</script>",
                    height=0)


@dataclass
class Frame:
    cat: Catalogue
    settings: Settings
    sidebar: object  # the top of the sidebar, for the page's own widgets
    user: User | None = None
    store: AnnotationStore | None = None  # None when the store cannot be opened
    revision: str = ""
    all_notes: gpd.GeoDataFrame | None = None  # every annotation, deleted ones too
    decisions: gpd.GeoDataFrame | None = None  # every review decision, undone ones too
    notes: gpd.GeoDataFrame | None = None  # those the annotation filter keeps
    fixes: gpd.GeoDataFrame | None = None  # planners' corrections, by target
    tag_options: list[str] | None = None

    @property
    def may_draw(self) -> bool:
        """The user may draw annotations (saving them needs the store too): the map's toolbar
        stays while the store is away, so nothing drawn is lost."""
        return self.user is not None and self.user.can_write

    @property
    def can_write(self) -> bool:
        return self.store is not None and self.may_draw

    def notes_data(self, datum: str) -> dict | None:
        """The annotations' map layer in ``datum`` (cached until the next write)."""
        if self.store is None:
            return None
        return notes_layer(self.store, self.store.where, self.revision, datum, id(self.cat),
                           self.cat)


def read_secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return {}


@st.cache_resource(show_spinner=False)
def annotation_store(url: str) -> AnnotationStore:
    """One store per server (its own locking makes it safe for every session)."""
    return AnnotationStore(url or None)


# what is built from the annotations is kept until the next write changes store.revision();
# the store's place is part of the key (the store itself is not hashed)
@st.cache_resource(show_spinner=False, max_entries=2)
def notes_at(_store: AnnotationStore, where: str, revision: str):
    return _store.list(include_deleted=True)


@st.cache_resource(show_spinner=False, max_entries=2)
def decisions_at(_store: AnnotationStore, where: str, revision: str):
    return _store.list(include_deleted=True, kind="decision")


@st.cache_resource(show_spinner=False, max_entries=4)
def notes_layer(_store: AnnotationStore, where: str, revision: str, datum: str,
                catalogue_id: int, _cat: Catalogue) -> dict:
    # catalogue_id keys the cache: a rebuilt catalogue may label targets differently
    every = notes_at(_store, where, revision)
    labels = {t: _cat.target_label(t) for t in set(map(target_of, every["target"])) if t}
    return features.annotations_data(every, labels, datum)


def sign_in(access: Access | None) -> User | None:
    """The sidebar's sign-in for the configured mode; the signed-in user, or None."""
    ss = st.session_state
    user: User | None = ss.get("user")
    if access is None:
        return None
    if access.mode == "single":
        if user is None:
            with st.form("who"):
                name = st.text_input("你的名字（记入你写的每条标注）", max_chars=64)
                if st.form_submit_button("开始标注") and name.strip():
                    user = ss.user = access.single_user(name.strip())
        if user is not None:
            st.caption(f"标注作者：{user.name}（单机模式，可修改全部标注）")
        return user
    if access.mode == "password" and user is None:
        with st.form("sign_in"):
            name = st.text_input("用户名", max_chars=64)
            password = st.text_input("密码", type="password", max_chars=200)
            if st.form_submit_button("登录"):
                user = ss.user = access.sign_in(name.strip(), password)
                if user is None:
                    st.error("用户名或密码不正确")
    elif access.mode == "oidc":
        if not st.user.is_logged_in:
            st.button("登录（单位账号）", on_click=st.login)
            return None
        user = ss.user = access.oidc_user(str(st.user.get("email", "")),
                                          str(st.user.get("name", "")))
    if user is not None:
        st.caption(f"已登录：{user.name}（{ROLE_LABELS[user.role]}）")
        if st.button("退出登录"):
            ss.user = None
            if access.mode == "oidc":
                st.logout()
            st.rerun()
    return user


def layers_or_stop(database_url: str) -> Catalogue:
    """The current layers; while the layer database is away, the last ones read with a
    warning, or — before any were read — the reason, and the page stops there."""
    try:
        catalogue, problem = catalogue_or_last(database_url)
    except LayersUnavailable as away:
        st.error(f"图层暂时无法载入：{away}。数据库恢复后刷新本页即可，已保存的标注不受影响。")
        st.stop()
    if problem is not None:
        st.warning(f"图层数据库暂时无法连接，地图显示的是上次读取的图层：{problem}")
    return catalogue


def page_frame() -> Frame:
    """Everything a page shares, drawn in the sidebar below the page's own widgets."""
    ss = st.session_state
    for kept in KEPT:
        if kept in ss:
            ss[kept] = ss[kept]
    settings = Settings.resolve(read_secrets())
    if ss.get("flash"):  # what the last write said, before its rerun
        st.toast(ss.pop("flash"))
    st.html("<style>" + asset_text("app.css").replace(
        "__UPLOAD_LIMIT__", str(st.get_option("server.maxUploadSize"))) + "</style>")
    with st.spinner("正在载入图层…"):
        frame = Frame(cat=layers_or_stop(settings.layers_url), settings=settings,
                      sidebar=st.sidebar.container())
    with st.sidebar:
        st.header("标注身份")
        try:
            access = Access.from_config(settings.secrets)
        except AccessError as problem:
            st.error(f"用户配置有误，标注暂为只读：{problem}")
            access = None
        frame.user = sign_in(access)
        if frame.user is None or not frame.user.can_write:
            st.caption("登录为编辑者后可绘制和修改标注；现在可以查看。")
    try:
        frame.store = annotation_store(settings.database_url)
        frame.revision = frame.store.revision()
        frame.all_notes = notes_at(frame.store, frame.store.where, frame.revision)
    except (AnnotationError, OSError) as problem:
        st.error(f"标注库无法打开，标注暂不可用（地图不受影响）：{problem}")
        frame.store = frame.all_notes = None
        return frame
    every = frame.all_notes
    with st.sidebar:
        st.header(f"标注筛选（{int((every['status'] != 'deleted').sum())}）")
        frame.tag_options = sorted({*SUGGESTED_TAGS, *(t for ts in every["tags"] for t in ts)})
        pick_many("标签", frame.tag_options, key="note_tags", placeholder="全部")
        pick_many("作者", sorted(set(every["author"])), key="note_authors",
                       placeholder="全部")
        pick_many("标注状态", list(NOTE_STATUS_LABELS), format_func=NOTE_STATUS_LABELS.get,
                       key="note_statuses", placeholder="待处理、已处理（不含已删除）")
    frame.notes = NoteFilter(tuple(ss.get("note_tags") or ()), tuple(ss.get("note_authors") or ()),
                             tuple(ss.get("note_statuses") or ())).apply(every)
    frame.decisions = decisions_at(frame.store, frame.store.where, frame.revision)
    # a review decision is a correction of its project; the newest live one counts
    frame.fixes = corrections(pd.concat([every, frame.decisions], ignore_index=True))
    return frame
