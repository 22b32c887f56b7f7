"""Issue 14 (2): the 文档 page through AppTest — the plans with their counts, who may add and
remove. (The upload itself is a browser test: AppTest has no file uploader.)"""

import pytest

from layers.ingest.library import add_plan
from layers.notes.access import hash_password
from tests.test_app import APP, pytestmark  # noqa: F401  (skip without assets)
from tests.test_app_annotations import run, store, widget  # noqa: F401  (the store fixture)

DOCS_PAGE = "app_pages/documents.py"
SECRETS = {"planmap_users": {
    "张工": {"password_hash": hash_password("zhang"), "role": "editor"},
    "管理员": {"password_hash": hash_password("admin"), "role": "admin"},
    "访客": {"password_hash": hash_password("guest"), "role": "viewer"}}}


def signed_in(name: str, password: str):
    at = run(secrets=SECRETS)
    widget(at.sidebar.text_input, "用户名").input(name)
    widget(at.sidebar.text_input, "密码").input(password)
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    at.switch_page(DOCS_PAGE).run()
    assert not at.exception, at.exception
    return at


def uploaders(at) -> list:
    return [e for e in at.main if getattr(e, "type", "") == "file_uploader"]


@pytest.mark.usefixtures("store")
def test_the_plans_are_listed_with_the_counts_the_map_shows(cat):
    at = run()
    at.switch_page(DOCS_PAGE).run()
    assert not at.exception, at.exception
    (table,) = at.dataframe
    plans = table.value.set_index("编号")
    assert list(plans.index) == ["lj14", "lj10", "ljcy", "cq14", "gx14"]
    for doc_id, row in plans.iterrows():
        mine = cat.projects[cat.projects["doc_ids"].map(lambda ds, d=doc_id: d in ds)]
        assert row["待核"] == (mine["status"] == "review").sum()
        assert row["未定位"] == (mine["status"] == "unlocated").sum()
        assert row["已定位"] + row["待核"] + row["未定位"] == len(mine)
    assert set(plans["来源"]) == {"随程序提供"} and set(plans["格式"]) == {"文本"}
    assert not uploaders(at) and any("登录为编辑者后可添加规划" in c.value for c in at.caption)


@pytest.mark.usefixtures("store")
def test_a_viewer_gets_no_upload_an_editor_no_removal_an_admin_both(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANMAP_DATA_DIR", str(tmp_path))  # the plan added below stays here
    assert not uploaders(signed_in("访客", "guest"))
    editor = signed_in("张工", "zhang")
    assert len(uploaders(editor)) == 1
    assert not [s for s in editor.subheader if s.value == "删除已添加的规划"]
    add_plan("第一章 总则\n推进磁器口古镇游客中心建设。\n".encode(), "小.txt", title="小规划")
    admin = signed_in("管理员", "admin")
    assert len(uploaders(admin)) == 1
    assert [s for s in admin.subheader if s.value == "删除已添加的规划"]
    assert any("小规划" in str(v) for v in admin.dataframe[0].value["标题"])
