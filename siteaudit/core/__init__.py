"""The bottom layer: config, store, dates, URL rules, HTTP/TLS measurement, the Chromium launcher, ODF."""
