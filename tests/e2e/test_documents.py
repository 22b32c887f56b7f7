"""Issue 14 in a real browser: a viewer has no upload; an editor uploads a Word plan, watches
the progress, and finds one of its projects by search on the map."""

import io

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import app_exceptions, map_frame, open_app, switch_page, wait_for_app

PLAN = ("重庆市沙坪坝区城市更新项目清单", "第一章 重点项目",
        "加快建设歌乐山森林步道驿站、磁器口古镇游客中心、西永综合保税区智能仓储中心等项目。",
        "重庆市沙坪坝区人民政府", "2024年5月8日")


def plan_docx() -> bytes:
    import docx

    word = docx.Document()
    word.add_heading(PLAN[0], level=0)
    word.add_heading(PLAN[1], level=1)
    for line in PLAN[2:]:
        word.add_paragraph(line)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


@pytest.fixture
def added_plans(app_data_dir):
    """Whatever the test adds is taken out again and the app's build restored, so the later
    browser tests see the five plans."""
    from layers.build import build
    from layers.ingest.library import plan_rows, remove_plan

    before = {r["doc_id"] for r in plan_rows()}
    yield
    extra = [r["doc_id"] for r in plan_rows() if r["doc_id"] not in before]
    for doc_id in extra:
        remove_plan(doc_id)
    if extra:
        build()


def test_a_viewer_cannot_upload_and_an_editor_adds_a_word_plan(app_server, page, added_plans):
    open_app(page, app_server, timeout=60_000)
    switch_page(page, "文档", page.get_by_text("份规划"))
    wait_for_app(page, timeout=60_000)
    assert page.locator('input[type="file"]').count() == 0  # a viewer: no upload control
    assert page.get_by_text("登录为编辑者后可添加规划").count() == 1

    page.get_by_label("你的名字（记入你写的每条标注）").fill("王工")
    page.get_by_role("button", name="开始标注").click()
    page.locator('input[type="file"]').wait_for(state="attached", timeout=60_000)
    page.locator('input[type="file"]').set_input_files(files=[{
        "name": "沙坪坝更新.docx", "buffer": plan_docx(),
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    page.get_by_text("读取方式：Word 文档").wait_for(timeout=60_000)
    # the details the text suggests, for the planner to check
    expect(page.get_by_label("标题")).to_have_value(PLAN[0])
    expect(page.get_by_label("日期（如 2021-10-25、2021-10 或 2021）")).to_have_value("2024-05-08")
    page.get_by_role("button", name="添加并更新地图").click()
    page.locator('[data-testid="stProgress"]').wait_for(timeout=30_000)  # the progress bar
    page.get_by_role("gridcell", name=PLAN[0]).or_(page.get_by_text("已添加“")).first.wait_for(
        timeout=90_000)
    wait_for_app(page, timeout=60_000)
    assert app_exceptions(page) == []

    field = page.get_by_label("地名或项目（汉字或拼音，如 果园港 / guoyuangang）")
    switch_page(page, "地图", field)
    field.fill("磁器口古镇游客中心")
    field.press("Enter")
    page.get_by_text("磁器口古镇游客中心 · 项目").first.click()
    frame = map_frame(page, timeout=60_000)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    assert "磁器口古镇游客中心" in popup.inner_text()
    assert PLAN[0] in popup.inner_text()  # the source plan, by the title it was added with
    assert page.page_errors == [] and page.external_requests == []
