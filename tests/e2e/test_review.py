"""Issue 14 (3) in a real browser: a planner points an unlocated project on the review page's
map; the project moves at once, and is still there after the layers are rebuilt."""

import re

import pytest

from layers.notes.store import AnnotationStore
from tests.e2e.helpers import MAP_IFRAME, map_frame, open_app, switch_page, wait_for_app


@pytest.fixture
def decisions(app_data_dir):
    """The app's store (PLANMAP_DATA_DIR); what the test decides is undone afterwards so the
    later browser tests see the map as built."""
    from gazetteer import Gazetteer
    from layers.notes.decisions import publish_planner_places

    store = AnnotationStore()
    yield store
    for row in store.list(kind="decision").itertuples():
        store.delete(row.id, author=row.author)
    publish_planner_places(store, Gazetteer())


def test_a_review_decision_moves_a_project_and_survives_a_rebuild(app_server, page, decisions):
    from layers.build import build

    open_app(page, app_server, timeout=60_000)
    page.get_by_label("你的名字（记入你写的每条标注）").fill("王工")
    page.get_by_role("button", name="开始标注").click()
    wait_for_app(page, timeout=60_000)
    switch_page(page, "审核", page.get_by_text("个项目待审核"))
    wait_for_app(page, timeout=60_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the queue's first row
    page.get_by_text("规划中的地名（填写后记入地名库").wait_for(timeout=30_000)
    name = page.locator('[data-testid="stHeading"] h3').first.inner_text().strip()
    page.get_by_test_id("stRadioGroup").get_by_text("在地图上指定").click()
    frame = map_frame(page, timeout=60_000)
    frame.wait_for_function("() => window.L && window.map_div instanceof window.L.Map",
                            timeout=30_000)
    wait_for_app(page, timeout=30_000)
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    shown = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.click(shown["x"] + shown["width"] / 2 + 40, shown["y"] + shown["height"] / 2)
    picked = page.get_by_text("已指定：")
    picked.wait_for(timeout=30_000)
    lon, lat = map(float, re.search(r"已指定：([\d.]+), ([\d.]+)", picked.inner_text()).groups())
    wait_for_app(page, timeout=30_000)
    page.get_by_role("button", name="保存决定").click()
    page.get_by_text("审核记录").wait_for(timeout=30_000)
    wait_for_app(page, timeout=30_000)
    (decision,) = decisions.list(kind="decision").itertuples()
    assert decision.author == "王工" and decision.detail["decision"] == "point"
    assert (decision.geometry.x, decision.geometry.y) == pytest.approx((lon, lat), abs=1e-5)
    assert page.get_by_text("规划师更正").count() >= 1  # the project's status, at once

    build()  # a rebuild (a plan added, the data refreshed): the decision still holds
    page.goto(f"{app_server}/?focus=project:{decision.target}")
    wait_for_app(page, timeout=60_000)
    frame = map_frame(page, timeout=60_000)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    assert name in popup.inner_text()
    # the popup opens where the project is (the map itself pans to fit the popup)
    at = frame.evaluate("() => { const p = window.map._popup.getLatLng(); return [p.lng, p.lat]; }")
    assert at == pytest.approx([lon, lat], abs=1e-6)
    assert page.page_errors == [] and page.external_requests == []
