"""Issue 15: a planning office's deployment — PostGIS, two app servers and nginx in front
(scripts/team.py, as the README's 团队部署 describes) — with twenty planners at once.

The test PostGIS (PLANMAP_TEST_POSTGIS_URL) holds the published layers and the annotations;
the layers schema and the annotation tables are emptied first."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.helpers import map_frame, wait_for_app, watched_page

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 20
EXTRA_PLAN = """重庆市两江新区2027年重大项目补充清单

一、交通设施
加快建设两江新区鱼复港区扩能工程、礼嘉嘉陵江观景大桥工程等项目。
"""
pytestmark = pytest.mark.timeout(1200)


def free_block(size: int) -> int:
    """A port p with p … p+size-1 all free on loopback (the proxy, then the servers)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + size > 65535:
            continue
        try:
            held = []
            for p in range(first, first + size):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", p))
            return first
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no block of free ports")


def team_command(*args, env):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "team.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def database(postgis_url):
    import psycopg

    url = postgis_url
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP SCHEMA IF EXISTS layers CASCADE")
        con.execute("DROP TABLE IF EXISTS history, annotations, meta")
    return url


@pytest.fixture(scope="module")
def team(database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("team")
    port = free_block(3)
    env = {**os.environ, "PLANMAP_DATABASE_URL": database,
           "PLANMAP_DATA_DIR": str(tmp_path_factory.mktemp("team-data"))}
    started = team_command("start", "--dir", str(folder), "--port", str(port), "--servers", "2",
                           env=env)
    assert started.returncode == 0, started.stderr[-3000:]
    try:
        yield {"url": started.stdout.strip(), "dir": folder, "servers": [port + 1, port + 2],
               "env": env, "database": database}
    finally:
        team_command("stop", "--dir", str(folder), env=env)


def routes_to_servers(folder: Path) -> dict[str, str]:
    """Each browser's route cookie → the one server its requests went to (nginx's log; a
    WebSocket is logged only when it closes, so every request counts)."""
    found: dict[str, set] = {}
    for line in (folder / "access.log").read_text(encoding="utf-8").splitlines():
        route = re.search(r"route=(\S+) upstream=(\S+)$", line)
        if route and "," not in route[2]:  # a request retried on another server says both
            found.setdefault(route[1], set()).add(route[2])
    assert all(len(servers) == 1 for servers in found.values()), found  # one browser, one server
    return {route: servers.pop() for route, servers in found.items()}


def route_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "planmap_route")


def metric(page, label: str) -> int:
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return int(card.locator('[data-testid="stMetricValue"]').inner_text())


def sign_in(page, name: str) -> None:
    page.get_by_label("你的名字（记入你写的每条标注）").fill(name)
    page.get_by_role("button", name="开始标注").click()
    page.get_by_text(f"标注作者：{name}").wait_for(timeout=60_000)


def choose_district(page, typed: str, option: str) -> None:
    box = page.get_by_role("combobox", name="区县")
    box.click()
    box.fill(typed)
    page.get_by_role("option", name=option).first.click()
    page.keyboard.press("Escape")
    page.wait_for_url("**dist=**", timeout=60_000)
    wait_for_app(page, timeout=60_000)


def annotate(page, note: str) -> None:
    """Put a point on the map with the drawing toolbar and save it with ``note``."""
    annotate_until_pending(page)
    page.get_by_label("备注").first.fill(note)
    page.get_by_role("button", name="保存标注").click()
    page.get_by_text("标注已保存").wait_for(timeout=60_000)


def annotate_until_pending(page) -> None:
    """Put a point on the map with the drawing toolbar, not saved yet."""
    for _ in range(3):
        wait_for_app(page, timeout=60_000)
        frame = map_frame(page, timeout=60_000)
        frame.wait_for_selector(".leaflet-draw-draw-marker", timeout=60_000)
        frame.locator(".leaflet-draw-draw-marker").click()
        box = frame.locator(".leaflet-container").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.get_by_text("待保存的图形：点").wait_for(timeout=30_000)
            break
        except PlaywrightTimeout:  # the page was rerunning under the click: again
            page.keyboard.press("Escape")


DISTRICTS = [("两江", "两江新区"), ("万州", "万州区"), ("涪陵", "涪陵区"), ("沙坪坝", "沙坪坝区")]


def test_twenty_planners_on_two_servers_then_a_new_build_for_all(team, browser, tmp_path):
    from layers.build import build
    from layers.ingest.library import all_plan_files
    from layers.notes.store import AnnotationStore
    from layers.published import publish_build

    pages = [watched_page(browser) for _ in range(SESSIONS)]
    try:
        for page in pages:  # all twenty load at once, as an office opening the map at nine
            page.goto(team["url"], timeout=120_000, wait_until="commit")
        for i, page in enumerate(pages):
            wait_for_app(page, timeout=180_000)
            sign_in(page, f"规划师{i + 1:02d}")
            choose_district(page, *DISTRICTS[i % len(DISTRICTS)])
            annotate(page, f"第{i + 1}位规划师的标注")
        # the sessions are spread over both servers
        servers = routes_to_servers(team["dir"])
        on = [servers[route_of(page)] for page in pages]
        assert set(on) == {f"127.0.0.1:{p}" for p in team["servers"]}, on
        assert min(on.count(s) for s in set(on)) >= 3, on
        # every annotation is stored once
        notes = AnnotationStore(team["database"]).list()
        assert sorted(notes["note"]) == sorted(f"第{i + 1}位规划师的标注" for i in range(SESSIONS))
        assert sorted(notes["author"]) == sorted(f"规划师{i + 1:02d}" for i in range(SESSIONS))

        # a new build with one more plan, published while every session is open
        extra = tmp_path / "extra.txt"
        extra.write_text(EXTRA_PLAN, encoding="utf-8")
        built = build([*all_plan_files(), extra], out=tmp_path / "new.gpkg")
        total = len(built["layers"]["projects"])
        published = publish_build(team["database"], tmp_path / "new.gpkg", by="test")
        assert published["version"] == 2
        for page in pages:  # each session's next rerun shows it
            page.get_by_role("button", name="清除筛选").click()
            page.wait_for_function(
                "n => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                ".some(e => e.innerText.trim() === String(n))", arg=total, timeout=60_000)
            wait_for_app(page, timeout=60_000)
            assert metric(page, "项目") == total
        for page in pages:
            assert page.external_requests == [] and page.page_errors == []
            assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        for page in pages:
            page.context.close()


def postgis_script(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "postgis.sh"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_database_away_then_back(team, browser):
    """Every page says in Chinese that the database is away and keeps the map it had; a shape
    drawn but not saved is still there when the database returns, and then saves."""
    from layers.notes.store import AnnotationStore

    port = os.environ.get("PLANMAP_PG_PORT", "55432")
    if f":{port}/" not in team["database"]:
        pytest.skip("the test database is not the one scripts/postgis.sh runs: cannot stop it")
    before = len(AnnotationStore(team["database"]).list())
    pages = [watched_page(browser) for _ in range(4)]
    try:
        for i, page in enumerate(pages):
            page.goto(team["url"], timeout=120_000)
            wait_for_app(page, timeout=120_000)
            sign_in(page, f"断线测试{i}")
        drawn = pages[0]
        annotate_until_pending(drawn)
        stopped = postgis_script("stop")
        assert stopped.returncode == 0, stopped.stderr
        try:
            for page in pages:
                page.get_by_role("button", name="清除筛选").click()
                page.get_by_text("图层数据库暂时无法连接").wait_for(timeout=60_000)
                page.get_by_text("标注库无法打开").wait_for(timeout=60_000)
                wait_for_app(page, timeout=60_000)
                assert metric(page, "项目") > 0  # the map it had
                assert page.locator('[data-testid="stException"]').count() == 0
            drawn.get_by_text("画好的图形保留在地图上").wait_for(timeout=60_000)
        finally:
            started = postgis_script()
            assert started.returncode == 0, started.stderr
        for page in pages:
            page.get_by_role("button", name="清除筛选").click()
            page.get_by_text("图层数据库暂时无法连接").wait_for(state="detached", timeout=60_000)
            wait_for_app(page, timeout=60_000)
            assert page.get_by_text("标注库无法打开").count() == 0
        drawn.get_by_text("待保存的图形：点").wait_for(timeout=60_000)  # kept all along
        drawn.get_by_label("备注").first.fill("断线时画的点")
        drawn.get_by_role("button", name="保存标注").click()
        drawn.get_by_text("标注已保存").wait_for(timeout=60_000)
        notes = AnnotationStore(team["database"]).list()
        assert len(notes) == before + 1 and "断线时画的点" in set(notes["note"])
    finally:
        for page in pages:
            page.context.close()


def test_one_server_killed_the_other_serves_everyone(team, browser):
    from tests.e2e.helpers import open_app

    pages = [watched_page(browser) for _ in range(6)]
    try:
        for page in pages:
            open_app(page, team["url"], timeout=120_000)
        servers = routes_to_servers(team["dir"])
        victim_port = team["servers"][0]
        victim = f"127.0.0.1:{victim_port}"
        pid = int((team["dir"] / "server-1.pid").read_text())
        os.killpg(pid, signal.SIGKILL)  # mid-session: no goodbye
        time.sleep(1)
        for page in pages:
            if servers[route_of(page)] == victim:
                page.reload()  # the browser whose server died, as its planner would
            wait_for_app(page, timeout=120_000)
            choose_district(page, "两江", "两江新区")
            assert metric(page, "项目") > 0
            assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        for page in pages:
            page.context.close()
