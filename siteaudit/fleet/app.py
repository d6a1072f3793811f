"""The Celery application: RabbitMQ (recommended) or Redis broker; a worker holds only the task it runs, acknowledged
when done, so a dead worker's task goes back to the queue."""

from __future__ import annotations

from celery import Celery
from kombu import Connection

from siteaudit.core.urlparts import redact
from siteaudit.fleet.errors import FleetError

app = Celery("siteaudit")
app.conf.update(
    task_acks_late=True,                 # a task is done when it returns, not when a worker takes it
    task_reject_on_worker_lost=True,     # a worker that dies mid-task gives the task back
    worker_prefetch_multiplier=1,        # a worker holds one audit at a time, no hoarding
    task_serializer="json", accept_content=["json"], result_backend=None,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_cancel_long_running_tasks_on_connection_loss=False,  # the audit goes on; its host locks guard it
)


def configure(broker: str, visibility_timeout: int = 3600, heartbeat: int = 10) -> Celery:
    """Point the app at `broker`. On RabbitMQ a worker's connection that closes (its process died) gives its
    unacknowledged task back at once, and `heartbeat` seconds of silence (its machine died) close it. On Redis a
    task not acknowledged after `visibility_timeout` seconds is delivered again."""
    options: dict[str, object] = {}
    if broker.startswith(("redis://", "rediss://")):
        # idle workers look for such tasks every few seconds (kombu's default looks every 100 s)
        options = {"visibility_timeout": visibility_timeout, "unacked_restore_throttle": 1,
                   "unacked_restore_interval": max(1, min(10, visibility_timeout // 5))}
    app.conf.update(broker_url=broker, broker_transport_options=options, broker_heartbeat=heartbeat,
                    task_publish_retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 0.5})
    return app


def check_broker(broker: str) -> None:
    """A FleetError naming `broker` when it cannot be reached now (Celery would retry for ever)."""
    try:
        with Connection(broker, connect_timeout=3, heartbeat=0) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
    except Exception as exc:  # kombu's and the transports' connection errors vary
        raise FleetError(f"cannot reach the broker {redact(broker)}: {exc}")
