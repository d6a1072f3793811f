"""The machine's PostgreSQL, Redis and RabbitMQ for tests: a fresh schema per test, a Redis database of its own,
the fleet's queues emptied.

SITEAUDIT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test), SITEAUDIT_TEST_REDIS
(default redis://127.0.0.1:6379/15) and SITEAUDIT_TEST_AMQP (default amqp://guest:guest@127.0.0.1:5672//) say
where they are; scripts/setup.sh starts them when none is listening.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from kombu import Connection

PG_URL = os.environ.get("SITEAUDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SITEAUDIT_TEST_REDIS", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("SITEAUDIT_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
FLEET_QUEUES = ("celery", "siteaudit-a11y")


def purge_amqp_queues(url: str = AMQP_URL) -> None:
    """Empty the fleet's queues on RabbitMQ (those that exist)."""
    with Connection(url, connect_timeout=5) as conn:
        for name in FLEET_QUEUES:
            channel = conn.channel()
            try:
                channel.queue_purge(name)
            except conn.channel_errors:  # no such queue yet
                pass
            finally:
                try:
                    channel.close()
                except conn.connection_errors + conn.channel_errors:
                    pass


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
