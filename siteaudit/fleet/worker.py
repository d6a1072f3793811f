"""`siteaudit worker`: one Celery worker running one task at a time (a pool of one thread, so that the main thread
keeps the broker connection's heartbeats going during a long audit): a site's audit (its own process) or a batch
of another audit's accessibility stage. Beside it, a watch thread says the worker is alive, queues
again deferred sites whose hosts are free and dead workers' audits, and kills browsers whose owner died."""

from __future__ import annotations

import logging
import socket
import threading

from siteaudit.core.browser import reap_orphaned_browsers
from siteaudit.fleet.app import check_broker, configure
from siteaudit.fleet.state import FleetState, connect, is_redis, state_url
from siteaudit.fleet.tasks import (
    A11Y_QUEUE,
    a11y_batch,
    audit_site,
    requeue_dead,
    requeue_deferred,
    worker_id,
)

WATCH_SECONDS = 2.0
log = logging.getLogger("siteaudit.fleet.worker")


def watch(state: FleetState, me: str, broker: str, stop: threading.Event) -> None:
    """Every WATCH_SECONDS until `stop`: liveness, deferred and dead workers' sites, orphaned browsers."""
    while True:
        try:
            state.alive(me)
            requeue_deferred(state)
            if is_redis(broker):  # RabbitMQ gives a dead worker's message back itself, at once
                requeue_dead(state)
            reap_orphaned_browsers()
        except Exception as exc:  # Redis briefly unreachable: the next look tries again
            log.warning("fleet watch: %s", exc)
        if stop.wait(WATCH_SECONDS):
            return


def run_worker(broker: str, name: str | None = None, out: str | None = None, visibility_timeout: int = 3600,
               loglevel: str = "INFO", state: str | None = None, heartbeat: int = 30) -> None:
    """Serve the queue until stopped; an unreachable broker or state is a FleetError before anything starts."""
    url = state_url(broker, state)
    fleet = FleetState(connect(url, "broker" if url == broker else "fleet state"))
    check_broker(broker)
    hostname = f"{name or 'siteaudit'}@{socket.gethostname()}"
    app = configure(broker, visibility_timeout, heartbeat)
    app.conf.siteaudit_out = out
    app.conf.siteaudit_state = url
    app.conf.siteaudit_hostname = hostname
    assert audit_site.name in app.tasks and a11y_batch.name in app.tasks
    reap_orphaned_browsers()  # what a killed predecessor on this machine left
    me = worker_id(hostname)
    fleet.alive(me)
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(fleet, me, broker, stop), name="siteaudit-fleet-watch",
                              daemon=True)
    thread.start()
    try:
        app.worker_main(["worker", "--pool=threads", "--concurrency=1", f"--hostname={hostname}", f"--loglevel={loglevel}",
                         "--without-gossip", "--without-mingle", f"--queues=celery,{A11Y_QUEUE}"])
    finally:
        stop.set()
        thread.join(timeout=5)
        fleet.gone(me)
