"""Online fallbacks against a local fake service: never the internet."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from gazetteer import Gazetteer
from gazetteer.online import OnlineFallback
from geo.datum import convert


class FakeService(BaseHTTPRequestHandler):
    answers: dict = {}
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        FakeService.requests.append((url.path, query))
        if url.path.startswith("/search"):  # Nominatim
            body = FakeService.answers.get(query["q"][0], [])
        else:  # Baidu geocoding v3
            hit = FakeService.answers.get(query["address"][0])
            body = {"status": 0, "result": hit} if hit else {"status": 1, "msg": "no result"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def service():
    server = HTTPServer(("127.0.0.1", 0), FakeService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeService.requests = []
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def test_nominatim_fallback_is_cached_and_kept_inside_chongqing(service, tmp_path):
    FakeService.answers = {
        "某新建小区": [{"lat": "29.70", "lon": "106.60", "display_name": "某新建小区, 渝北区",
                   "place_id": 1, "boundingbox": ["29.69", "29.71", "106.59", "106.61"]}],
        "春熙路": [{"lat": "30.657", "lon": "104.080", "display_name": "春熙路, 成都",
                  "place_id": 2, "boundingbox": ["30.65", "30.66", "104.07", "104.09"]}],
    }
    online = OnlineFallback("nominatim", domain=service, scheme="http",
                            cache_path=tmp_path / "cache.sqlite", min_delay_seconds=0)
    gaz = Gazetteer(online=[online])
    loc = gaz.geocode("某新建小区")
    assert loc.raw["source"] == "online:nominatim" and loc.raw["district"] == "两江新区"
    assert (loc.latitude, loc.longitude) == (29.70, 106.60)  # Nominatim is WGS84 already
    assert gaz.geocode("某新建小区").raw == loc.raw
    assert len(FakeService.requests) == 1  # the second answer came from the cache
    assert gaz.geocode("春熙路") is None  # a Chengdu street is not a Chongqing place


def test_offline_answer_never_asks_the_service(service, tmp_path):
    online = OnlineFallback("nominatim", domain=service, scheme="http",
                            cache_path=tmp_path / "cache.sqlite", min_delay_seconds=0)
    assert Gazetteer(online=[online]).geocode("礼嘉街道").raw["source"] == "adcode-vonng"
    assert Gazetteer(online=[online]).geocode("") is None
    assert FakeService.requests == []


def test_off_by_default(service):
    assert Gazetteer().online == []
    assert Gazetteer().geocode("某新建小区") is None
    assert FakeService.requests == []


def test_baidu_bd09_is_converted_to_wgs84(service, tmp_path):
    wgs = (106.60, 29.70)
    bd_lon, bd_lat = convert(*wgs, "wgs84", "bd09")
    FakeService.answers = {"某园区": {"location": {"lng": bd_lon, "lat": bd_lat},
                                  "precise": 1, "confidence": 80, "level": "园区"}}
    online = OnlineFallback("baidu", api_key="test", domain=service, scheme="http",
                            cache_path=tmp_path / "cache.sqlite", min_delay_seconds=0)
    loc = online.geocode("某园区")
    assert loc.raw["datum_in"] == "bd09"
    assert loc.longitude == pytest.approx(wgs[0], abs=1e-7)
    assert loc.latitude == pytest.approx(wgs[1], abs=1e-7)


def test_unknown_provider_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="未知在线地理编码服务"):
        OnlineFallback("amap-scraper", cache_path=tmp_path / "c.sqlite")


def test_requests_are_spaced_by_geopys_rate_limiter(service, tmp_path, monkeypatch):
    """Two uncached questions in a row: the second waits out the minimum delay (geopy's
    RateLimiter asks to sleep; recorded here instead of slept)."""
    from geopy.extra.rate_limiter import RateLimiter

    waits, now = [], [1000.0]  # a clock that moves only when the limiter sleeps

    def sleep(self, seconds):
        waits.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(RateLimiter, "_clock", lambda self: now[0])
    monkeypatch.setattr(RateLimiter, "_sleep", sleep)
    FakeService.answers = {}
    online = OnlineFallback("nominatim", domain=service, scheme="http",
                            cache_path=tmp_path / "cache.sqlite", min_delay_seconds=30)
    assert online.geocode("甲地") is None and online.geocode("乙地") is None
    assert len(FakeService.requests) == 2
    assert waits == [30]
