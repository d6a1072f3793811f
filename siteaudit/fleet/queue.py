"""Queueing site audits: every config checked first, the store and the broker reached, then one task per site
not already queued. Nothing is queued unless everything can be."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siteaudit.core import config as config_mod
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.store import Store, StoreError
from siteaudit.core.urlparts import redact
from siteaudit.fleet.app import check_broker, configure
from siteaudit.fleet.errors import FleetError
from siteaudit.fleet.parsers import DEFAULT_BROKER
from siteaudit.fleet.state import FleetState, connect, state_url
from siteaudit.fleet.tasks import audit_site


@dataclass
class Queued:
    site: str
    token: str | None          # None: an audit of the site was already queued or running


def load_sites(paths: list[str]) -> list[tuple[Path, Config, str]]:
    """Each config read and validated now, not at night on a worker; a fleet needs a shared store."""
    sites: dict[str, Path] = {}
    out = []
    for name in paths:
        path = Path(name)
        cfg = config_mod.load(path)
        if not cfg.store.url:
            raise ConfigError(f"{path}: store.url: a fleet needs the shared PostgreSQL store (postgresql://...)")
        if cfg.site.name in sites:
            raise ConfigError(f"{path}: site.name {cfg.site.name!r} is also the name in {sites[cfg.site.name]}")
        sites[cfg.site.name] = path
        out.append((path, cfg, path.read_text(encoding="utf-8")))
    if not out:
        raise ConfigError("give at least one site config")
    return out


def broker_of(configs: list[Config], override: str | None) -> str:
    brokers = {cfg.fleet.broker or DEFAULT_BROKER for cfg in configs}
    if override:
        return override
    if len(brokers) > 1:
        raise ConfigError(f"fleet.broker: the configs name different brokers ({', '.join(sorted(brokers))})")
    return brokers.pop()


def state_of(configs: list[Config], broker: str, override: str | None) -> str:
    """The fleet's Redis: --state, else the configs' fleet.state, else the broker's Redis or the local one."""
    states = {cfg.fleet.state for cfg in configs if cfg.fleet.state}
    if override:
        return override
    if len(states) > 1:
        raise ConfigError(f"fleet.state: the configs name different ones ({', '.join(sorted(states))})")
    return state_url(broker, states.pop() if states else None)


def enqueue(paths: list[str], broker: str | None = None, checks: str | None = None,
            full: bool = False, state: str | None = None) -> list[Queued]:
    sites = load_sites(paths)
    broker_url = broker_of([cfg for _, cfg, _ in sites], broker)
    fleet_url = state_of([cfg for _, cfg, _ in sites], broker_url, state)
    for url in sorted({str(cfg.store_path()) for _, cfg, _ in sites}):
        try:
            Store(url).close()  # reachable, and the schema exists before the first worker writes
        except StoreError as exc:
            raise FleetError(str(exc))
    state = FleetState(connect(fleet_url, "broker" if fleet_url == broker_url else "fleet state"))
    check_broker(broker_url)
    app = configure(broker_url, heartbeat=0)  # one short connection
    queued = []
    for path, cfg, text in sites:
        token = uuid.uuid4().hex
        if not state.claim_pending(cfg.site.name, token):
            queued.append(Queued(cfg.site.name, None))
            continue
        job: dict[str, Any] = {"site": cfg.site.name, "token": token, "config": text,
                               "source": str(path.resolve()), "enqueued": time.time(), "checks": checks,
                               "full": full, "state": fleet_url}
        try:
            with app.connection_for_write() as conn:
                audit_site.apply_async((job,), connection=conn, task_id=token, retry=True)
        except Exception as exc:  # kombu's connection errors vary by transport
            state.release_pending(cfg.site.name, token)
            raise FleetError(f"cannot queue {cfg.site.name} on the broker {redact(broker_url)}: {exc}")
        state.record(cfg.site.name, state="queued", token=token, enqueued=job["enqueued"], run_id=None,
                     error=None, exit=None, timezone=cfg.site.timezone)
        queued.append(Queued(cfg.site.name, token))
    return queued


def status(broker: str | None = None, state: str | None = None) -> dict[str, dict[str, Any]]:
    return FleetState(connect(state_url(broker or DEFAULT_BROKER, state))).sites()
