"""siteaudit: a website compliance crawler and auditor for Taiwanese government sites."""

__version__ = "0.1.0"
