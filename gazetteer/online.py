"""Optional online fallbacks through geopy: off unless the user turns them on.

``Gazetteer(online=[OnlineFallback("nominatim")])`` asks the service only for names the offline
gazetteer cannot resolve. Each fallback is rate-limited, caches every answer in a local SQLite
file (a repeated query never goes out again), keeps only results inside Chongqing, and converts
results to WGS84: Baidu answers in BD-09. Results are marked ``source = online:<provider>``.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.location import Location
from geopy.point import Point

from geo.boundaries import district_at
from geo.datum import convert
from geo.paths import BUILD_DIR

DEFAULT_CACHE = BUILD_DIR / "online_geocode_cache.sqlite"
ONLINE_CONFIDENCE = 0.5  # another service's answer, unchecked against the plans' context


# provider → (geopy's service name, datum of its coordinates, whether its API answers with a
# list); the geocoder class comes from geopy's own registry
PROVIDERS = {
    "nominatim": ("nominatim", "wgs84", True),
    "arcgis": ("arcgis", "wgs84", True),
    "baidu": ("baiduv3", "bd09", False),  # Baidu's v3 API returns one result
}
USER_AGENT = "cq-plan-map"  # Nominatim's usage policy asks every application to name itself


def _geocoder(provider: str, domain: str | None = None, **options):
    service, _, _ = PROVIDERS[provider]
    cls = get_geocoder_for_service(service)
    if service == "nominatim":
        options.setdefault("user_agent", USER_AGENT)
    if service == "baiduv3":
        geocoder = cls(**options)
        if domain:  # geopy has no domain option for Baidu; an intranet proxy or a test server
            geocoder.api = f"{geocoder.scheme}://{domain}{geocoder.api_path}"
        return geocoder
    return cls(**({"domain": domain} if domain else {}), **options)


class OnlineFallback:
    def __init__(self, provider: str, *, cache_path: Path | str = DEFAULT_CACHE,
                 min_delay_seconds: float = 1.0, **geocoder_options):
        if provider not in PROVIDERS:
            raise ValueError(f"未知在线地理编码服务：{provider}（可选：{', '.join(PROVIDERS)}）")
        _, self.datum, self._answers_many = PROVIDERS[provider]
        self.provider = provider
        self.geocoder = _geocoder(provider, **geocoder_options)
        # geopy's limiter: at most one request per min_delay_seconds, across threads; errors
        # are raised, never swallowed (a swallowed error would be cached as "no answer")
        self._limited = RateLimiter(self.geocoder.geocode, min_delay_seconds=min_delay_seconds,
                                    max_retries=0, swallow_exceptions=False,
                                    error_wait_seconds=max(5.0, min_delay_seconds))
        self.cache_path = Path(cache_path)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("create table if not exists answers (provider text, query text, "
                       "answer text, fetched real, primary key (provider, query))")

    def _db(self):
        return sqlite3.connect(self.cache_path, timeout=10)

    def _cached(self, query: str):
        with self._db() as db:
            row = db.execute("select answer from answers where provider=? and query=?",
                             (self.provider, query)).fetchone()
        return None if row is None else json.loads(row[0])

    def _store(self, query: str, answer: list[dict]) -> None:
        with self._db() as db:
            db.execute("insert or replace into answers values (?, ?, ?, ?)",
                       (self.provider, query, json.dumps(answer, ensure_ascii=False),
                        time.time()))

    def _ask(self, query: str) -> list[dict]:
        found = self._limited(query, exactly_one=not self._answers_many)
        if found is not None and not self._answers_many:
            found = [found]
        answer = []
        for loc in found or []:
            lon, lat = convert(loc.longitude, loc.latitude, self.datum, "wgs84")
            answer.append({"address": loc.address, "lon": lon, "lat": lat,
                           "lon_in": loc.longitude, "lat_in": loc.latitude})
        return answer

    def geocode(self, query: str, exactly_one: bool = True):
        answer = self._cached(query)
        if answer is None:
            answer = self._ask(query)
            self._store(query, answer)
        results = []
        for a in answer:
            district = district_at(a["lon"], a["lat"])
            if district is None or not (math.isfinite(a["lon"]) and math.isfinite(a["lat"])):
                continue  # outside Chongqing: not the place a Chongqing plan means
            raw = {"name": a["address"], "kind": "online", "district": district.name,
                   "adcode": district.adcode, "precision_m": None,
                   "source": f"online:{self.provider}", "datum_in": self.datum,
                   "lon_in": a["lon_in"], "lat_in": a["lat_in"],
                   "confidence": ONLINE_CONFIDENCE, "matched_by": "online", "query": query,
                   "status": "resolved"}
            results.append(Location(a["address"], Point(a["lat"], a["lon"]), raw))
        if not results:
            return None
        return results[0] if exactly_one else results
