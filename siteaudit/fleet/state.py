"""Each site's state in the fleet, kept on the broker's Redis: what is queued, running or done, and the host locks
that keep one crawl per host across the fleet."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import redis

from siteaudit.core.urlparts import redact
from siteaudit.fleet.errors import FleetError

PREFIX = "siteaudit:fleet:"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def connect(broker: str) -> redis.Redis:
    """A Redis client for `broker`, checked now: an unreachable broker is one FleetError naming it."""
    client = redis.Redis.from_url(broker, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FleetError(f"cannot reach the broker {redact(broker)}: {exc}")
    return client


class FleetState:
    """Sites' states (a hash per site), the pending marker that makes a second enqueue a no-op, host locks."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def claim_pending(self, site: str, token: str) -> bool:
        """Mark `site` queued under `token`; False when an audit of it is already queued or running."""
        return bool(self.redis.set(PREFIX + "pending:" + site, token, nx=True))

    def pending(self, site: str) -> str | None:
        value = self.redis.get(PREFIX + "pending:" + site)
        return value.decode() if value else None

    def release_pending(self, site: str, token: str) -> None:
        if self.pending(site) == token:
            self.redis.delete(PREFIX + "pending:" + site)

    def record(self, site: str, **fields: Any) -> None:
        """Update a site's state (queued, running, complete, failed, uncrawlable) and when."""
        fields = {k: json.dumps(v, ensure_ascii=False) for k, v in fields.items()}
        fields["updated"] = json.dumps(time.time())
        self.redis.hset(PREFIX + "site:" + site, mapping=fields)
        self.redis.sadd(PREFIX + "sites", site)

    def site(self, site: str) -> dict[str, Any]:
        raw = self.redis.hgetall(PREFIX + "site:" + site)
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def sites(self) -> dict[str, dict[str, Any]]:
        names = sorted(n.decode() for n in self.redis.smembers(PREFIX + "sites"))
        return {name: self.site(name) for name in names}

    def lock_hosts(self, hosts: list[str], token: str, seconds: int) -> bool:
        """Take every host's lock for `token`, or none of them."""
        taken = []
        for host in sorted(hosts):
            key = PREFIX + "host:" + host
            if self.redis.set(key, token, nx=True, ex=seconds) or self.redis.get(key) == token.encode():
                taken.append(key)
            else:
                for other in taken:
                    self.unlock(other, token)
                return False
        return True

    def hosts_held_by(self, hosts: list[str], token: str) -> bool:
        """Does a delivery of the audit queued under `token` hold a lock on one of `hosts`?"""
        for host in hosts:
            value = self.redis.get(PREFIX + "host:" + host)
            if value and value.decode().split(":", 1)[0] == token:
                return True
        return False

    def unlock(self, key: str, token: str) -> None:
        if self.redis.get(key) == token.encode():
            self.redis.delete(key)

    def unlock_hosts(self, hosts: list[str], token: str) -> None:
        for host in hosts:
            self.unlock(PREFIX + "host:" + host, token)

    def keep_locked(self, hosts: list[str], token: str, seconds: int) -> threading.Event:
        """Renew the host locks every third of their life until the returned event is set."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(seconds / 3):
                for host in hosts:
                    key = PREFIX + "host:" + host
                    if self.redis.get(key) == token.encode():
                        self.redis.expire(key, seconds)

        threading.Thread(target=renew, name="siteaudit-host-lock", daemon=True).start()
        return done
