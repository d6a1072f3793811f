"""The check registry: adding a check is a module in this package and one line here.

See `checks.base` for the contract a check module follows.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable

from siteaudit.checks import (
    accessibility,
    disclosure,
    documents,
    essentials,
    freshness,
    links,
    metadata,
    opendata,
    publication,
    services,
)
from siteaudit.checks.base import Check, CheckContext, CheckResult, Fanout, merged_options
from siteaudit.core.config import Config, ConfigError
from siteaudit.core.results import Status
from siteaudit.core.store import Store

# In the order of the service-quality plan's inspection items, which is the report's order.
REGISTRY: dict[str, Check] = {
    "links": links.CHECK,
    "disclosure": disclosure.CHECK,
    "documents": documents.CHECK,
    "publication": publication.CHECK,   # 一(一)(4) right after 一(一)(3), then 更新(2)◎3 and ◎4
    "opendata": opendata.CHECK,         # 盤點(2) open data
    "metadata": metadata.CHECK,
    "accessibility": accessibility.CHECK,
    "essentials": essentials.CHECK,
    "freshness": freshness.CHECK,
    "services": services.CHECK,         # 貳、二(一) online services, 二(二) e-participation
}


def select(names: list[str] | None, config: Config) -> list[Check]:
    """The checks to run: the given names, else `[checks] enabled`, else all registered ones."""
    if names is None:
        enabled = config.checks.get("enabled")
        if enabled is not None and not (isinstance(enabled, list) and all(isinstance(n, str) for n in enabled)):
            raise ConfigError(f"checks.enabled: expected a list of check names, got {enabled!r}")
        names = list(REGISTRY) if enabled is None else list(enabled)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ConfigError(f"checks: unknown check {', '.join(unknown)} (known: {', '.join(REGISTRY)})")
    return [REGISTRY[n] for n in names]


def validate_options(config: Config) -> None:
    """Fail early, before crawling, on a wrong `[checks.*]` key."""
    for key in config.checks:
        if key != "enabled" and key not in REGISTRY:
            raise ConfigError(f"checks.{key}: unknown check (known: {', '.join(REGISTRY)})")
    select(None, config)
    for check in REGISTRY.values():
        options = merged_options(check, config)
        validate = getattr(check, "validate", None)
        if validate is not None:
            validate(options)


def run_checks(checks: list[Check], store: Store, run_id: int, config: Config,
               fanout: Fanout | None = None, progress: Callable[[str], None] | None = None
               ) -> dict[str, CheckResult]:
    """Run `checks` on a stored run. A check that raises gets status `error` with the reason (never a pass),
    and the others still run. With `fanout`, a check may hand batches of its browser work to a fleet."""
    results = {}
    for check in checks:
        ctx = CheckContext(store, run_id, config, merged_options(check, config), fanout, progress)
        try:
            results[check.name] = check.run(ctx)
        except Exception as exc:  # a bug or an unexpected input in one check must not cost the whole audit
            if os.environ.get("SITEAUDIT_DEBUG"):
                traceback.print_exc()
            results[check.name] = CheckResult([], {"status": Status.ERROR,
                                                   "reason": f"{type(exc).__name__}: {exc}"[:500]})
    return results
