"""Each site's state in the fleet, kept in Redis (the broker's, or `fleet.state` beside a RabbitMQ broker): what
is queued, deferred, running or done, the host locks that keep one crawl per host across the fleet, and which
workers are alive."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import redis

from siteaudit.core.urlparts import redact
from siteaudit.fleet.errors import FleetError
from siteaudit.fleet.parsers import DEFAULT_STATE

PREFIX = "siteaudit:fleet:"
ALIVE_SECONDS = 15          # a worker not heard of for this long is dead: its host locks are taken over


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def state_url(broker: str, state: str | None = None) -> str:
    """Where the fleet keeps its states: `state`, else the broker when it is Redis, else the local Redis."""
    return state or (broker if is_redis(broker) else DEFAULT_STATE)


def connect(url: str, what: str = "broker") -> redis.Redis:
    """A Redis client for `url`, checked now: an unreachable Redis is one FleetError naming it."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FleetError(f"cannot reach the {what} {redact(url)}: {exc}")
    return client


def holder_worker(holder: str) -> str:
    """The worker named in a host lock's holder (TOKEN:DELIVERY:WORKER)."""
    parts = holder.split(":", 2)
    return parts[2] if len(parts) == 3 else ""


class FleetState:
    """Sites' states (a hash per site), the pending marker that makes a second enqueue a no-op, deferred sites,
    host locks and workers' liveness."""

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
        self.redis.delete(PREFIX + "job:" + site)

    def record(self, site: str, **fields: Any) -> None:
        """Update a site's state (queued, waiting, running, complete, failed, uncrawlable) and when."""
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

    # a running audit's job, so that a dead worker's audit can be queued again without its broker message
    def keep_job(self, site: str, job: dict[str, Any]) -> None:
        self.redis.set(PREFIX + "job:" + site, json.dumps(job, ensure_ascii=False))

    def job(self, site: str) -> dict[str, Any] | None:
        raw = self.redis.get(PREFIX + "job:" + site)
        return json.loads(raw) if raw else None

    # deferred sites: a busy host sends the job here, not into a worker's memory
    def defer(self, site: str, job: dict[str, Any], hosts: list[str]) -> None:
        entry = {"job": job, "hosts": hosts, "since": time.time()}
        self.redis.set(PREFIX + "deferred:" + site, json.dumps(entry, ensure_ascii=False))
        self.redis.sadd(PREFIX + "deferred", site)

    def deferred(self) -> dict[str, dict[str, Any]]:
        out = {}
        for name in self.redis.smembers(PREFIX + "deferred"):
            raw = self.redis.get(PREFIX + "deferred:" + name.decode())
            if raw:
                out[name.decode()] = json.loads(raw)
            else:
                self.redis.srem(PREFIX + "deferred", name)
        return out

    def take_deferred(self, site: str) -> dict[str, Any] | None:
        """The deferred job of `site`, removed; None when another process took it first."""
        raw = self.redis.getdel(PREFIX + "deferred:" + site)
        self.redis.srem(PREFIX + "deferred", site)
        return json.loads(raw) if raw else None

    def claim_requeue(self, site: str, holder: str) -> bool:
        """True for the one process that queues again the audit a dead `holder` was running."""
        return bool(self.redis.set(PREFIX + "requeued:" + site + ":" + holder, "1", nx=True, ex=3600))

    # workers' liveness
    def alive(self, worker: str) -> None:
        self.redis.set(PREFIX + "worker:" + worker, json.dumps(time.time()), ex=ALIVE_SECONDS)

    def gone(self, worker: str) -> None:
        self.redis.delete(PREFIX + "worker:" + worker)

    def is_alive(self, worker: str) -> bool:
        return bool(worker) and bool(self.redis.exists(PREFIX + "worker:" + worker))

    # host locks
    def lock_free(self, host: str) -> bool:
        """Nobody holds the host's lock, or only a dead worker does."""
        value = self.redis.get(PREFIX + "host:" + host)
        return value is None or not self.is_alive(holder_worker(value.decode()))

    def hosts_free(self, hosts: list[str]) -> bool:
        return all(self.lock_free(host) for host in hosts)

    def lock_hosts(self, hosts: list[str], holder: str, seconds: int) -> bool:
        """Take every host's lock for `holder`, or none of them. A lock of a dead worker is taken over."""
        taken = []
        for host in sorted(hosts):
            key = PREFIX + "host:" + host
            if self.redis.set(key, holder, nx=True, ex=seconds) or self.redis.get(key) == holder.encode():
                taken.append(key)
                continue
            value = self.redis.get(key)
            if value is not None and not self.is_alive(holder_worker(value.decode())):
                self.unlock(key, value.decode())
                if self.redis.set(key, holder, nx=True, ex=seconds):
                    taken.append(key)
                    continue
            for other in taken:
                self.unlock(other, holder)
            return False
        return True

    def hosts_held_by(self, hosts: list[str], token: str) -> bool:
        """Does a delivery of the audit queued under `token` hold a lock on one of `hosts`?"""
        for host in hosts:
            value = self.redis.get(PREFIX + "host:" + host)
            if value and value.decode().split(":", 1)[0] == token:
                return True
        return False

    def unlock(self, key: str, holder: str) -> None:
        if self.redis.get(key) == holder.encode():
            self.redis.delete(key)

    def unlock_hosts(self, hosts: list[str], holder: str) -> None:
        for host in hosts:
            self.unlock(PREFIX + "host:" + host, holder)

    def keep_locked(self, hosts: list[str], holder: str, seconds: int) -> threading.Event:
        """Renew the host locks every third of their life until the returned event is set."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(seconds / 3):
                for host in hosts:
                    key = PREFIX + "host:" + host
                    if self.redis.get(key) == holder.encode():
                        self.redis.expire(key, seconds)

        threading.Thread(target=renew, name="siteaudit-host-lock", daemon=True).start()
        return done
