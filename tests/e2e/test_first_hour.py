"""Issue 17 (8), the smaller things a planner meets in the first hour, in a real browser:
Chinese words on Streamlit's own widgets, pinyin in the 项目 filter, a laptop-width layout."""

import re

from tests.e2e.helpers import map_frame, open_app, switch_page, wait_for_app

ENGLISH = re.compile(r"\b(Select all|Upload|Browse files|Drag and drop|per file|None|empty)\b")


def test_the_project_filter_finds_a_project_by_its_pinyin(app_server, page):
    open_app(page, app_server, timeout=60_000)
    box = page.get_by_role("combobox", name=re.compile("^项目"))
    box.click()
    box.fill("guoyuangang")
    options = page.get_by_role("option")
    options.first.wait_for(timeout=30_000)
    texts = options.all_inner_texts()
    assert any("果园港" in t for t in texts), texts[:5]
    assert not any("Select" in t for t in texts)  # no English bulk action
    page.keyboard.press("Escape")
    assert page.page_errors == [] and page.external_requests == []


def test_no_english_is_left_on_the_pages_a_planner_uses(app_server, page):
    """"Select all" (the filters), "Upload" and its size line (the import), "None" (an empty
    precision in the table), "empty" (an empty annotation list) were English."""
    open_app(page, app_server, timeout=60_000)
    page.get_by_role("combobox", name="类别").click()
    page.get_by_role("option").first.wait_for(timeout=30_000)
    body = page.locator("body").inner_text()
    assert not ENGLISH.search(body), ENGLISH.search(body)
    page.keyboard.press("Escape")
    page.get_by_label("你的名字（记入你写的每条标注）").fill("李工")
    page.get_by_role("button", name="开始标注").click()
    wait_for_app(page, timeout=60_000)
    uploader = page.locator('[data-testid="stFileUploaderDropzone"]')
    switch_page(page, "标注", uploader)
    assert not ENGLISH.search(uploader.inner_text())
    # the Chinese words are drawn by app.css (pseudo-elements, not in innerText)
    words = uploader.evaluate("""el => [...el.querySelectorAll('*')].map(
        e => getComputedStyle(e, '::after').content).filter(c => c && c !== 'none').join(' ')""")
    assert "选择文件" in words and "MB" in words
    assert not ENGLISH.search(page.locator("section.main, [data-testid='stMain']").first
                              .inner_text())
    assert page.page_errors == [] and page.external_requests == []


def test_at_800_px_the_map_has_the_width_and_nothing_covers_it(browser, app_server):
    """At 800 px (a laptop with the sidebar open) the map was 343 px wide, half covered by the
    layer control and the legend."""
    context = browser.new_context(viewport={"width": 800, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        open_app(page, app_server, timeout=60_000)
        frame = map_frame(page, timeout=60_000)
        frame.wait_for_function("() => window.map && !window.planmapLoading", timeout=60_000)
        main = page.locator("[data-testid='stMain']").bounding_box()
        iframe = page.locator('iframe[src*="streamlit_folium"]').bounding_box()
        assert iframe["width"] >= 0.8 * main["width"] - 100  # the main column, less margins
        size = frame.evaluate("() => [window.map.getSize().x, window.map.getSize().y]")
        covered = frame.evaluate("""() => [...document.querySelectorAll(
                '.leaflet-control-layers, .planmap-legend')].map(el => {
            const r = el.getBoundingClientRect(); return r.width * r.height; })""")
        assert sum(covered) <= 0.1 * size[0] * size[1], (covered, size)
        assert frame.locator(".planmap-legend").get_attribute("open") is None  # folded
    finally:
        context.close()
