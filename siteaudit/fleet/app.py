"""The Celery application: Redis broker, tasks acknowledged late and given back when their worker dies."""

from __future__ import annotations

from celery import Celery

app = Celery("siteaudit")
app.conf.update(
    task_acks_late=True,                 # a task is done when it returns, not when a worker takes it
    task_reject_on_worker_lost=True,     # a worker that dies mid-task gives the task back
    worker_prefetch_multiplier=1,        # a worker holds one audit at a time, no hoarding
    task_serializer="json", accept_content=["json"], result_backend=None,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


def configure(broker: str, visibility_timeout: int = 3600) -> Celery:
    """Point the app at `broker`; a task not acknowledged after `visibility_timeout` seconds (its worker died)
    is delivered again."""
    # idle workers look for such tasks every few seconds (kombu's default looks every 100 s)
    options = {"visibility_timeout": visibility_timeout, "unacked_restore_throttle": 1,
               "unacked_restore_interval": max(1, min(10, visibility_timeout // 5))}
    app.conf.update(broker_url=broker, broker_transport_options=options,
                    task_publish_retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 0.5})
    return app
