"""A fleet of workers: site audits queued on a Redis broker (Celery), run by workers on any number of machines,
stored in one PostgreSQL store, summarised on one portfolio page."""
