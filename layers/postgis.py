"""A team's PostgreSQL + PostGIS, as the annotation store and the published layers use it:
one psycopg connection per database and process, shared by the server's threads under a
lock, reopened when the server dropped it, with every failure told in the planner's words.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

WRITE_ATTEMPTS = 20  # a transaction another one conflicted with is tried again
CONNECT_TIMEOUT_S = 5  # a page says the database is away rather than hang


def is_postgres_url(url: str) -> bool:
    return str(url).startswith(("postgresql://", "postgres://"))


def without_password(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//", url)


class PostGIS:
    """``transaction(work)`` runs ``work(cursor)`` in one transaction. ``label`` names the
    database to the planner (标注数据库, 图层数据库); ``error`` is the exception raised."""

    def __init__(self, url: str, label: str, error: type[Exception] = ValueError):
        try:
            import psycopg
        except ImportError as e:  # pragma: no cover - psycopg is in requirements.txt
            raise error("连接 PostGIS 需要 psycopg：pip install -r requirements.txt") from e
        self._psycopg = psycopg
        self.url = url
        self.label = label
        self.error = error
        self.where = without_password(url)  # never show a password
        self._lock = threading.Lock()
        self._con = None

    def _connection(self):
        if self._con is None or self._con.closed:
            try:
                self._con = self._psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S)
            except self._psycopg.OperationalError as e:
                raise self.error(f"无法连接{self.label} {self.where}：{_first_line(e)}") from e
        return self._con

    def transaction(self, work: Callable, on_missing_table: str = ""):
        """``work(cursor)`` in one transaction, tried again after a serialisation failure or
        deadlock and, once, after the connection dropped. ``on_missing_table``: what to tell
        the planner when a table or column is gone (else the database error is raised)."""
        errors = self._psycopg.errors
        retry = (errors.SerializationFailure, errors.DeadlockDetected)
        with self._lock:
            for attempt in range(WRITE_ATTEMPTS):
                con = self._connection()
                try:
                    with con.transaction(), con.cursor() as cur:
                        return work(cur)
                except retry:
                    time.sleep(min(0.05 * 2 ** attempt, 1.0))
                except (errors.UndefinedTable, errors.UndefinedColumn) as e:
                    if not on_missing_table:
                        raise
                    raise self.error(f"{self.label} {self.where} {on_missing_table}"
                                     f"（{_first_line(e)}）") from e
                except self._psycopg.OperationalError as e:
                    con.close()  # the server went away: reconnect once, then give up
                    if attempt:
                        raise self.error(f"{self.label} {self.where} 连接中断："
                                         f"{_first_line(e)}") from e
            raise self.error("数据库繁忙，请稍后重试")


def _first_line(problem: Exception) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]
