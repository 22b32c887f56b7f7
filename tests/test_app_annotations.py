"""Annotations on the page through AppTest: who may write, the hostile note as text, edits with
history, soft delete and restore, planners' corrections on the map."""

import re

import pytest
from shapely.geometry import Point, box

from layers.notes.access import hash_password
from layers.notes.store import AnnotationStore
from tests.test_app import APP, map_args, page_download, pytestmark  # noqa: F401  (skip without assets)

NOTES_PAGE = "app_pages/notes.py"
HOSTILE = "<img src=x onerror=alert(1)>{{ 7*7 }}"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The page's store: a SQLite file of this test (annotation_store is cached per URL)."""
    url = f"sqlite:///{tmp_path / 'notes.sqlite'}"
    monkeypatch.setenv("PLANMAP_ANNOTATIONS_URL", url)
    return AnnotationStore(url)


def run(secrets=None, state=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def widget(elements, label):
    return next(w for w in elements if w.label == label)


def shown(at) -> str:
    """The map's layers as the browser receives them (JSON strings decoded)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                  map_args(at)["feature_group"])


def test_a_viewer_sees_notes_as_text_and_no_toolbar(store):
    store.add(box(106.5, 29.5, 106.52, 29.52), HOSTILE, "甲", tags=["拟选址"])
    at = run()
    args = map_args(at)
    assert not any("leaflet.draw" in link for link in args["js_links"])  # no drawing yet
    layers = shown(at)
    assert "&lt;img src=x onerror=alert(1)&gt;" in layers and "<img src=x" not in layers
    assert "{{ 7*7 }}" not in layers  # braces as entities: no template code either
    assert any("你的名字" in t.label for t in at.sidebar.text_input)  # asked, not assumed


def test_the_single_user_signs_in_once_and_gets_the_toolbar(store):
    at = run()
    widget(at.sidebar.text_input, "你的名字（记入你写的每条标注）").input("张工")
    form_button = next(b for b in at.sidebar.button if b.label == "开始标注")
    form_button.click().run()
    assert any("标注作者：张工" in c.value for c in at.sidebar.caption)
    args = map_args(at)
    assert any("leaflet.draw" in link for link in args["js_links"])
    # the toolbar's script and stylesheet are served by the app too, never a CDN
    assert all(link.startswith("/app/static/vendor/")
               for link in args["js_links"] + args["css_links"])


def test_edit_delete_restore_with_history(store):
    aid = store.add(Point(106.55, 29.57), "用地待核实", "张工", tags=["待核实"])
    at = run(state={"user": None})
    at.session_state["note_pick_id"] = aid
    next(t for t in at.sidebar.text_input if "你的名字" in t.label).input("张工")
    next(b for b in at.sidebar.button if b.label == "开始标注").click().run()
    at.session_state["note_pick_id"] = aid
    at.switch_page(NOTES_PAGE).run()
    assert not at.exception, at.exception
    note = next(t for t in at.text_area if t.label == "备注" and t.value == "用地待核实")
    note.input("已核实：可用")
    next(b for b in at.button if b.label == "保存修改").click().run()
    assert store.get(aid)["note"] == "已核实：可用" and store.get(aid)["version"] == 2
    next(b for b in at.button if b.label.startswith("删除此标注")).click().run()
    assert store.get(aid)["status"] == "deleted"
    next(b for b in at.button if b.label == "恢复此标注").click().run()
    assert store.get(aid)["status"] == "open"
    assert [v.action for v in store.history(aid)] == ["add", "update", "delete", "restore"]


def test_the_notes_page_downloads_the_store_as_it_is_when_clicked(store, tmp_path):
    """标注 GeoJSON and GeoPackage are links made when clicked (no 生成 step and no file sent
    with every run); a note added after the page was drawn is in a new link's file."""
    import json

    import geopandas as gpd

    store.add(Point(106.55, 29.57), "用地待核实", "张工")
    at = run()
    at.switch_page(NOTES_PAGE).run()
    assert not at.exception, at.exception
    assert not [b for b in at.get("download_button")] and not [
        b for b in at.button if b.label == "生成标注下载文件"]
    notes = json.loads(page_download(at, "标注 GeoJSON"))
    assert [f["properties"]["note"] for f in notes["features"]] == ["用地待核实"]
    store.add(Point(106.56, 29.58), "第二条", "李工")
    at.run()
    gpkg = tmp_path / "notes.gpkg"
    gpkg.write_bytes(page_download(at, "标注 GeoPackage"))
    assert sorted(gpd.read_file(gpkg)["note"]) == ["用地待核实", "第二条"]


def test_password_roles_decide_who_edits(store):
    theirs = store.add(Point(106.55, 29.57), "李工的标注", "李工")
    secrets = {"planmap_users": {
        "张工": {"password_hash": hash_password("zhang"), "role": "editor"},
        "访客": {"password_hash": hash_password("guest"), "role": "viewer"}}}
    at = run(secrets=secrets)
    widget(at.sidebar.text_input, "用户名").input("张工")
    widget(at.sidebar.text_input, "密码").input("wrong")
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    assert any("不正确" in e.value for e in at.sidebar.error)
    widget(at.sidebar.text_input, "密码").input("zhang")
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    assert any("张工（编辑者）" in c.value for c in at.sidebar.caption)
    at.session_state["note_pick_id"] = theirs
    at.switch_page(NOTES_PAGE).run()
    assert not at.exception, at.exception
    # an editor reads another planner's note but gets no form to change it
    assert any(t.value == "李工的标注" for t in at.text)
    assert not [b for b in at.button if b.label in ("保存修改", "恢复此标注")]
    assert not [b for b in at.button if b.label.startswith("删除此标注")]
    # and is told why (issue 17, 8: the editor was refused without a word)
    assert any("由 李工 所写" in c.value and "作者本人或管理员" in c.value for c in at.caption)


def test_a_correction_moves_the_project_on_the_map(store, built_layers):
    projects = built_layers["projects"]
    pid = projects.loc[projects["name"] == "果园港枢纽港建设工程", "id"].iloc[0]
    store.add(Point(106.70, 29.70), "码头实际在这里", "张工", target=pid)
    layers = shown(run())
    assert "规划师更正" in layers and "码头实际在这里" in layers and "张工" in layers
    assert "[106.7, 29.7]" in layers  # where the planner put it


def test_a_plain_note_beside_a_correction_names_no_target(store, built_layers):
    """Issue 17 (5): once any correction exists, a plain note's 更正对象 read back as NaN and
    showed "（已不存在：nan）" in the list, the detail line and the map popup."""
    projects = built_layers["projects"]
    pid = projects.loc[projects["name"] == "果园港枢纽港建设工程", "id"].iloc[0]
    plain = store.add(Point(106.55, 29.57), "普通标注", "张工")
    store.add(Point(106.70, 29.70), "码头实际在这里", "张工", target=pid)
    at = run()
    assert "已不存在" not in shown(at)
    at.session_state["note_pick_id"] = plain
    at.switch_page(NOTES_PAGE).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["更正对象"]).count("") == 1 and "nan" not in table.to_string()
    assert not any("nan" in c.value or "已不存在" in c.value for c in at.caption)


def metric(at, label) -> int:
    return int(next(m for m in at.metric if m.label == label).value)


def test_a_corrected_unlocated_project_counts_lists_searches_and_exports_as_placed(
        store, built_layers):
    """Issue 17 (4): a planner places an unlocated project; it leaves 未定位 in the counts and
    the list, search shows it on the map, and the download says status corrected."""
    import json

    projects = built_layers["projects"]
    row = projects[projects["name"] == "中科云从人工智能基础资源开放平台"].iloc[0]
    assert row["status"] == "unlocated"
    before = run()
    unlocated, corrected = metric(before, "未定位"), metric(before, "规划师更正")
    store.add(Point(106.52, 29.61), "云从在这里", "张工", target=row["id"])
    at = run()
    assert metric(at, "未定位") == unlocated - 1 and metric(at, "规划师更正") == corrected + 1
    assert row["name"] not in at.dataframe[0].value["名称"].tolist()  # the 未定位 list
    table = at.dataframe[1].value
    assert table.loc[row["id"], "状态"] == "规划师更正"
    at.sidebar.text_input(key="query").input("中科云从").run()
    at.sidebar.radio(key="search_pick").set_value(f"project:{row['id']}").run()
    assert not any("未定位" in i.value for i in at.info)
    assert map_args(at)["center"] == pytest.approx([29.61, 106.52], abs=1e-3)
    # the page's download of the selection (all projects) is the corrected catalogue's
    data = json.loads(page_download(at, "当前筛选的项目"))
    feature = next(f for f in data["features"] if f["properties"]["id"] == row["id"])
    assert feature["properties"]["status"] == "corrected"
    assert feature["geometry"]["coordinates"] == [106.52, 29.61]


def test_a_store_deleted_under_the_running_app_is_reported_and_the_map_stays(store):
    """Issue 17 (8): deleting the annotation database under a running server showed a raw
    traceback instead of the app's message."""
    import os

    store.add(Point(106.55, 29.57), "在", "甲")
    at = run()
    os.remove(store.where)
    at.run()
    assert not at.exception, at.exception
    assert any("标注库无法打开" in e.value and "已不存在" in e.value for e in at.error)
    assert map_args(at)["feature_group"]  # the map is still drawn
    assert not os.path.exists(store.where)
