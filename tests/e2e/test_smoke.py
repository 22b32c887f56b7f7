"""The app starts, shows its title, and nothing it loads leaves 127.0.0.1."""

from playwright.sync_api import expect

from tests.e2e.helpers import app_exceptions, open_app


def test_app_opens_offline(app_server, page):
    open_app(page, app_server)
    assert app_exceptions(page) == []
    expect(page).to_have_title("规划项目地图")
    expect(page.get_by_role("heading", name="规划项目地图")).to_be_visible()
    assert page.requests, "the page made no request at all"
    assert page.external_requests == []
    assert page.page_errors == []
