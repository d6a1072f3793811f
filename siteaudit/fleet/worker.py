"""`siteaudit worker`: one Celery worker running one task at a time (solo pool): a site's audit (its own process)
or a batch of another audit's accessibility stage."""

from __future__ import annotations

import socket

from siteaudit.fleet.app import configure
from siteaudit.fleet.state import connect
from siteaudit.fleet.tasks import A11Y_QUEUE, a11y_batch, audit_site


def run_worker(broker: str, name: str | None = None, out: str | None = None, visibility_timeout: int = 3600,
               loglevel: str = "INFO") -> None:
    """Serve the queue until stopped; an unreachable broker is a FleetError before anything starts."""
    connect(broker)
    app = configure(broker, visibility_timeout)
    app.conf.siteaudit_out = out
    assert audit_site.name in app.tasks and a11y_batch.name in app.tasks
    app.worker_main(["worker", "--pool=solo", f"--hostname={name or 'siteaudit'}@{socket.gethostname()}",
                     f"--loglevel={loglevel}", "--without-gossip", "--without-mingle",
                     f"--queues=celery,{A11Y_QUEUE}"])
