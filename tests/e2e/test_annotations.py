"""Annotating in a real browser: draw a polygon, save a hostile note, reload, nothing runs."""

from playwright.sync_api import expect
from shapely.geometry import Point, shape

from layers.notes.store import AnnotationStore
from tests.e2e.helpers import map_frame, open_app, switch_page, wait_for_app

HOSTILE = "<img src=x onerror=alert(1)>"


def draw_toolbar(page):
    """The map frame once it carries the drawing toolbar (signing in remounts the map)."""
    deadline = page.evaluate("Date.now()") + 60_000
    while True:
        try:
            frame = map_frame(page, timeout=30_000)
            frame.wait_for_selector(".leaflet-draw-draw-polygon", timeout=2_000)
            return frame
        except Exception:
            if page.evaluate("Date.now()") > deadline:
                raise
            page.wait_for_timeout(300)


def draw_polygon(page, corners, attempts: int = 3) -> None:
    """Draw a polygon with the toolbar, as a hand does: arm the tool, move to each corner,
    press, release, then 完成. A tool disarmed under the clicks (the page was busy) is armed
    again and the shape started over."""
    for _ in range(attempts):
        frame = draw_toolbar(page)
        frame.locator(".leaflet-draw-draw-polygon").click()
        frame.get_by_text("点击开始画多边形").wait_for(timeout=10_000)  # the tool is armed
        vertices = frame.locator(".leaflet-editing-icon")
        try:
            for n, (x, y) in enumerate(corners, 1):
                page.mouse.move(x, y, steps=4)
                page.mouse.down()
                page.mouse.up()
                expect(vertices).to_have_count(n, timeout=5_000)
        except AssertionError:
            page.keyboard.press("Escape")  # cancels the half-drawn shape
            wait_for_app(page, timeout=60_000)
            continue
        frame.get_by_title("完成绘制").click()  # the toolbar's own 完成 (its words are Chinese)
        return
    raise AssertionError(f"the polygon tool never took {len(corners)} clicks in {attempts}"
                         f" tries; console errors: {page.console_errors}")


def test_draw_a_polygon_save_a_hostile_note_and_reload(app_server, app_data_dir, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(page, app_server, timeout=60_000)
    page.get_by_label("你的名字（记入你写的每条标注）").fill("张工")
    page.get_by_role("button", name="开始标注").click()
    wait_for_app(page, timeout=60_000)

    draw_toolbar(page)
    wait_for_app(page, timeout=60_000)  # the map's first value reruns the page: let it settle
    box = draw_toolbar(page).locator(".leaflet-container").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    draw_polygon(page, [(cx - 60, cy - 40), (cx + 60, cy - 40), (cx + 60, cy + 40),
                        (cx - 60, cy + 40)])
    page.get_by_text("待保存的图形：多边形").wait_for(timeout=60_000)
    drawn = map_frame(page).evaluate("() => drawnItems.toGeoJSON()")["features"]
    assert len(drawn) == 1 and drawn[0]["geometry"]["type"] == "Polygon"
    page.get_by_label("备注").first.fill(HOSTILE)
    page.get_by_role("button", name="保存标注").click()
    page.get_by_text("标注已保存").wait_for(timeout=60_000)

    (saved,) = AnnotationStore().list().itertuples()  # the app's store (PLANMAP_DATA_DIR)
    assert saved.note == HOSTILE and saved.author == "张工"
    assert saved.geometry.geom_type == "Polygon" and saved.geometry.is_valid
    # what was drawn is what is stored (the blank basemap is WGS84: no datum shift)
    assert saved.geometry.equals_exact(shape(drawn[0]["geometry"]), tolerance=1e-9)

    page.reload()
    wait_for_app(page, timeout=60_000)
    frame = map_frame(page, timeout=60_000)
    # the note reaches the map as text: open the annotation's popup through its own click
    # handler (a pixel click raced the map's settling after the reload: two timeouts in six
    # full runs), with the plan layers switched off in the layer control
    for overlay in ("规划项目", "空间结构片区", "区县界线"):
        frame.get_by_role("checkbox", name=overlay).uncheck()
    frame.wait_for_function("""() => {
        let clicked = false;
        (window.feature_group || []).filter(g => window.map.hasLayer(g)).forEach(
            g => g.eachLayer(function walk(l) {
                const p = l.feature && l.feature.properties.popup;
                if (!clicked && p && p.includes('planmap-annotation') && l.getCenter) {
                    l.fire('click', {latlng: l.getCenter()}, true);  // to its group's handler too
                    clicked = true;
                }
                if (l.eachLayer) { l.eachLayer(walk); }
            }));
        return clicked;
    }""", timeout=60_000)
    popup = frame.locator(".planmap-annotation")
    popup.wait_for(timeout=30_000)
    assert HOSTILE in popup.inner_text()  # shown as the characters typed
    assert frame.locator(".leaflet-popup img").count() == 0  # not as an element
    # the annotations page lists it, as text too
    # a page switch on a busy machine: the layer toggles above rerun the page, and a click on
    # the link during that rerun can be lost (once in three full runs) — so let it settle,
    # and click again if the page did not switch
    switch_page(page, "标注", page.get_by_text("标注列表（1）"))
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
    assert page.page_errors == []
    assert page.external_requests == []


def metric_value(page, label: str) -> int:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.get_by_text(label, exact=True))
    return int(card.locator('[data-testid="stMetricValue"]').inner_text())


def test_a_corrected_project_is_counted_as_placed_and_exported_corrected(
        app_server, app_data_dir, page, cat):
    """Issue 17 (4): a planner places an unlocated project; after a reload the counts move it
    from 未定位 to 规划师更正, and the view's GeoJSON gives it the planner's point and status."""
    import json

    row = cat.projects[cat.projects["name"] == "中科云从人工智能基础资源开放平台"].iloc[0]
    assert row["status"] == "unlocated"
    open_app(page, app_server, timeout=60_000)
    unlocated, corrected = metric_value(page, "未定位"), metric_value(page, "规划师更正")
    store = AnnotationStore()  # the app's store (PLANMAP_DATA_DIR)
    note_id = store.add(Point(106.52, 29.61), "云从在这里", "张工", target=row["id"])
    try:
        page.reload()
        wait_for_app(page, timeout=60_000)
        page.get_by_text("规划师更正").first.wait_for(timeout=60_000)
        assert metric_value(page, "未定位") == unlocated - 1
        assert metric_value(page, "规划师更正") == corrected + 1
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("link", name=f"当前筛选的项目（{len(cat.projects)}）").click()
        data = json.loads(info.value.path().read_text(encoding="utf-8"))
        (feature,) = [f for f in data["features"] if f["id"] == row["id"]]
        assert feature["properties"]["status"] == "corrected"
        assert feature["geometry"]["coordinates"] == [106.52, 29.61]
        # issue 17 (5): beside a correction, a plain annotation said "（已不存在：nan）"
        plain_id = store.add(Point(106.53, 29.62), "普通意见", "张工")
        # the table is drawn on a canvas; its cells are also in the DOM, hidden, as text
        switch_page(page, "标注", page.get_by_text("标注列表"))
        page.get_by_text("普通意见").first.wait_for(state="attached", timeout=60_000)
        listed = page.locator("[data-testid='stMain']").text_content()
        assert "中科云从" in listed  # the correction's target is named
        assert "nan" not in listed and "已不存在" not in listed
        assert page.page_errors == [] and page.external_requests == []
    finally:  # the other browser tests share this server and store
        store.delete(note_id, author="张工", as_admin=True)
        if "plain_id" in locals():
            store.delete(plain_id, author="张工", as_admin=True)
