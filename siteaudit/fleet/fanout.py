"""The fleet's side of a shared accessibility stage: each batch of an audit offered to every worker as a
`siteaudit.fleet.test_batch` task on the accessibility queue. Sending is best effort: a batch nobody takes is
tested by the auditing process itself."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from siteaudit.core.console import echo
from siteaudit.core.urlparts import redact
from siteaudit.fleet.app import configure
from siteaudit.fleet.tasks import A11Y_QUEUE, a11y_batch


@dataclass
class CeleryFanout:
    """A `checks.base.Fanout` on the fleet's Celery broker."""

    broker: str
    owner: str
    batch_pages: int
    lease_seconds: float
    failed: bool = False

    @classmethod
    def for_worker(cls, broker: str, name: str, batch_pages: int, lease_seconds: float) -> CeleryFanout:
        """The fanout of an audit run by worker `name`: leases name the worker and this process."""
        configure(broker, heartbeat=0)  # this process only publishes, between long pauses
        return cls(broker, f"{name}:{os.getpid()}", batch_pages, lease_seconds)

    def send(self, store: str, run_id: int, stage: str, n: int, options: dict[str, Any]) -> None:
        if self.failed:
            return
        job = {"store": store, "run_id": run_id, "stage": stage, "n": n, "options": options,
               "lease_seconds": self.lease_seconds}
        try:
            a11y_batch.apply_async((job,), queue=A11Y_QUEUE, retry=True,
                                   retry_policy={"max_retries": 1, "interval_start": 0.2})
        except Exception as exc:  # kombu's connection errors vary by transport; this audit tests the batches
            self.failed = True
            echo(f"siteaudit: note: accessibility batches not offered to the fleet on {redact(self.broker)}: "
                 f"{exc}; this worker tests them", file=sys.stderr)
