"""The machine's PostgreSQL and Redis for tests: a fresh schema per test, a Redis database of its own.

SITEAUDIT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) and SITEAUDIT_TEST_REDIS
(default redis://127.0.0.1:6379/15) say where they are; scripts/setup.sh starts them when none is listening.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_URL = os.environ.get("SITEAUDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SITEAUDIT_TEST_REDIS", "redis://127.0.0.1:6379/15")


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A store URL pointing at a new, empty schema, dropped afterwards."""
    schema = f"sa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
