"""Issue 14 (3): the 审核 page through AppTest — the queue, a decision taking a project out of
it at once, undo, and what a viewer may not do."""

import pytest

from layers.web.tables import review_reasons
from tests.test_app import APP, pytestmark  # noqa: F401  (skip without assets)
from tests.test_app_annotations import run, widget
from tests.test_app_annotations import store as notes_store  # noqa: F401  (fixture)

REVIEW_PAGE = "app_pages/review.py"


@pytest.fixture
def planner_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANMAP_DATA_DIR", str(tmp_path))  # the planner gazetteer file
    return tmp_path


def review_page(state=None, name: str | None = "王工"):
    at = run(state=state)
    if name:
        widget(at.sidebar.text_input, "你的名字（记入你写的每条标注）").input(name)
        next(b for b in at.sidebar.button if b.label == "开始标注").click().run()
    at.switch_page(REVIEW_PAGE).run()
    assert not at.exception, at.exception
    return at


def test_the_queue_holds_every_project_to_review_or_locate(notes_store, cat):  # noqa: F811
    at = review_page(name=None)
    reasons = review_reasons(cat.projects)
    waiting = cat.projects[reasons != ""]
    # every project to check or locate, and the located ones with an ambiguous place name
    assert set(reasons[cat.projects["status"].isin(["review", "unlocated"])]) == {
        "review", "unlocated"}
    ambiguous = cat.projects[reasons == "ambiguous"]
    assert len(ambiguous) and (ambiguous["status"] == "auto").all()
    assert all(any(len(r["candidates"]) > 1 for r in refs) for refs in ambiguous["places"])
    assert any(f"{len(waiting)} 个项目待审核" in m.value for m in at.markdown)
    (table,) = at.dataframe
    assert list(table.value["项目"]) == list(waiting["name"])
    shown = table.value.set_index("项目")
    one = ambiguous.iloc[0]
    assert shown.loc[one["name"], "状态"] == "地名有多个可能"
    assert "个可能的地点" in shown.loc[one["name"], "原因"]
    reason_box = next(m for m in at.multiselect if m.label == "原因")
    reason_box.set_value(["ambiguous"]).run()
    assert list(at.dataframe[0].value["项目"]) == list(ambiguous["name"])
    at.session_state["review_pick"] = waiting["id"].iloc[0]
    at.run()
    assert any("登录为编辑者后可作出审核决定" in c.value for c in at.caption)
    assert not [b for b in at.button if b.label == "保存决定"]


def test_a_decision_takes_a_project_out_of_the_queue_and_can_be_undone(
        notes_store, planner_data, cat):  # noqa: F811
    review = cat.projects[(cat.projects["status"] == "review")
                          & cat.projects["places"].map(lambda refs: any(
                              r.get("candidates") for r in refs or []))]
    pick = review["id"].iloc[0]
    at = review_page(state={"review_pick": pick})
    before = len(at.dataframe[0].value)
    at.radio(key=f"decision_{pick}").set_value("place").run()
    candidate = next(c for r in review["places"].iloc[0] for c in r.get("candidates", []))
    at.selectbox(key=f"place_{pick}").set_value(candidate).run()
    at.text_input(key=f"mention_{pick}").input("云栖谷片区").run()  # the plan's name for it
    next(b for b in at.button if b.label == "保存决定").click().run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == before - 1  # out of the queue at once
    (decision,) = notes_store.list(kind="decision").itertuples()
    assert decision.target == pick and decision.author == "王工"
    assert decision.detail == {"decision": "place", "place_id": candidate,
                               "mention": "云栖谷片区"}
    planner = (planner_data / "gazetteer" / "planner.csv").read_text(encoding="utf-8")
    assert f",{decision.detail['mention']}," in planner and "planner 王工 " in planner
    # undo: back in the queue
    next(b for b in at.button if b.label == "撤销最新的决定").click().run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == before
    assert notes_store.list(kind="decision").empty


def test_no_location_is_a_decision_too(notes_store, planner_data, cat):  # noqa: F811
    pick = cat.projects[cat.projects["status"] == "unlocated"]["id"].iloc[0]
    at = review_page(state={"review_pick": pick})
    at.radio(key=f"decision_{pick}").set_value("none").run()
    at.text_input(key=f"why_{pick}").input("<b>政策措施</b>").run()
    next(b for b in at.button if b.label == "保存决定").click().run()
    assert not at.exception, at.exception
    (decision,) = notes_store.list(kind="decision").itertuples()
    assert decision.geometry.is_empty and decision.note == "<b>政策措施</b>"
    assert any("无需定位" in c.value for c in at.caption)  # the project's status now


def test_plan_text_in_markdown_reads_as_written():
    """A name with Markdown in it (a link, emphasis) is escaped before a subheader, caption
    or toast shows it: no link, no emphasis, every character kept."""
    import re

    from app_pages.common import plain

    hostile = "[点我](javascript:alert(1)) **粗体** <b>x</b> 1.5亿_元"
    escaped = plain(hostile)
    assert re.sub(r"\\(.)", r"\1", escaped) == hostile  # nothing lost
    assert "](" not in escaped and "**" not in escaped and "\\<b\\>" in escaped
