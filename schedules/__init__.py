"""Scheduled jobs: the nightly availability probe and the cron/systemd files that run siteaudit."""
