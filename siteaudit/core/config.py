"""Site configuration: one TOML file per site, read with tomllib and validated key by key.

A config error names the key and the problem (`ConfigError`), so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from siteaudit import __version__
from siteaudit.core.dates import DEFAULT_ZONE, zone_info
from siteaudit.core.urlparts import canonical_host, canonical_url, redact

MIN_PAGE_BYTES = 1024
DEFAULT_SESSION_PARAMS = ["jsessionid", "phpsessid", "sid", "sessionid", "aspsessionid", "cfid", "cftoken"]


class ConfigError(ValueError):
    """A configuration problem; the message names the key."""


@dataclass
class SiteConfig:
    name: str = ""
    agency: str = ""
    start_urls: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    path_prefixes: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    contact_url: str = ""
    waivers: str = ""                 # TOML file of accepted findings (reports/waivers.py)
    timezone: str = DEFAULT_ZONE      # IANA zone every date and time a person reads is shown in


@dataclass
class CrawlConfig:
    max_pages: int = 5000
    max_depth: int = 20
    concurrency: int = 8
    concurrency_per_host: int = 4
    autothrottle: bool = True
    autothrottle_target_concurrency: float = 6.0
    obey_robots: bool = True
    sitemaps: bool = True
    max_sitemaps: int = 50            # sitemaps read at most (indexes included)
    max_sitemap_depth: int = 3        # levels of sitemap indexes: 1 = only the sitemaps robots.txt names
    user_agent: str = ""
    download_timeout: int = 30
    max_page_bytes: int = 10 * 1024 * 1024
    sniff_bytes: int = 64 * 1024
    retries: int = 2
    max_retry_after: int = 120
    max_query_strings_per_path: int = 20000
    max_growing_chain: int = 10       # below max_depth, so a calendar is cut as a trap before the depth limit
    max_repeated_segments: int = 3
    session_params: list[str] = field(default_factory=lambda: list(DEFAULT_SESSION_PARAMS))
    check_external: bool = True
    external_cache_hours: int = 24    # reuse external results of earlier runs this recent (0: always re-check)
    verify_tls: bool = True
    workers: int = 1
    log_level: str = "INFO"


@dataclass
class UptimeConfig:
    urls: list[str] = field(default_factory=list)      # default: the first start URL
    keyword: str = ""                                   # default: site.agency
    tries: int = 3
    retry_wait: int = 60                                # seconds between tries (3 tries over 2 minutes)
    timeout: int = 30                                   # seconds per try, the whole answer included
    max_body_bytes: int = 10 * 1024 * 1024              # a larger answer is 異常
    min_size_ratio: float = 0.2                         # a body under this share of the usual size is 異常 (0: off)
    allowed_redirect_hosts: list[str] = field(default_factory=list)  # hosts besides the site's a probe may end on
    cert_warn_days: int = 30
    ca_file: str = ""                                   # extra trusted certificates (PEM)
    on_failure_command: list[str] = field(default_factory=list)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool | None = None                   # default: true when smtp_user is set
    smtp_ssl: bool = False                              # SMTPS: TLS from the first byte (usually port 465)
    smtp_user: str = ""
    smtp_password_env: str = ""                         # name of the environment variable holding the password
    smtp_allow_plain_password: bool = False             # send the password without TLS (not recommended)
    mail_from: str = ""
    mail_to: list[str] = field(default_factory=list)


@dataclass
class StoreConfig:
    path: str = ""
    url: str = ""                     # postgresql://user@host:5432/db: a shared store for a fleet of workers


@dataclass
class FleetConfig:
    broker: str = ""                  # amqp://… (RabbitMQ, recommended) or redis://…; redis://127.0.0.1:6379/0 when empty
    state: str = ""                   # Redis of sites' states and host locks; the broker when it is Redis, else
                                      # redis://127.0.0.1:6379/0
    lock_seconds: int = 60            # a crawl's host lock (and an accessibility batch's lease) lapses this long
                                      # after its worker stops renewing it
    a11y_batch_pages: int = 20        # pages per accessibility batch handed to the fleet's workers


@dataclass
class IncrementalConfig:
    enabled: bool = True              # revalidate against the last complete run and reuse what did not change
    max_age_days: int = 7             # a reused accessibility result is never older than this; then retested


@dataclass
class EvidenceConfig:
    """The run's web archive: every exchange of the crawl in WARC files, packaged as evidence.wacz."""
    warc: bool = True                 # capture; false: no evidence.wacz is written
    max_bytes: int = 4 * 1024**3      # cap of a run's compressed WARC records; reaching it is reported (0: none)
    keep_runs: int = 30               # run-N.wacz files kept in the archive folder (and those they refer to)
    dir: str = ""                     # the archive folder; default: "evidence" beside the SQLite store
    screenshots: int = 50             # accessibility findings whose element is shot from the archive (0: none)
    screenshot_bytes: int = 256 * 1024  # the most one screenshot may take (else JPEG, else half scale, else none)


@dataclass
class PublishConfig:
    """The public results page (`siteaudit publish`): what the agency states, and the page's own metadata."""
    frequency: str = "每日自動檢測"      # how often the site is audited, as the page states it
    frequency_en: str = "Audited automatically every day"
    update_rule: str = ""             # the site's rule for regular updates (定期更新規定), as the page states it
    update_rule_en: str = ""
    search_help_url: str = ""         # default: the search-help page the essentials check found
    identifier: str = ""              # DC.Identifier: the agency's OID code (e.g. 313221200K)
    theme: str = ""                   # Category.Theme, Category.Cake, Category.Service of the page
    cake: str = ""
    service: str = ""
    subject: str = "網站資訊內容檢測及連結測試結果"


@dataclass
class DigestConfig:
    """The nightly digest: one short mail after an audit that brought something new (SMTP of `[uptime]`)."""
    mail_to: list[str] = field(default_factory=list)   # empty: no digest
    always: bool = False              # also mail when nothing changed since the previous run
    attach_report: bool = True        # attach report.html; else link it at report_url
    report_url: str = ""              # where the nightly report is served (the link when not attached)
    urls_shown: int = 3               # first URLs listed for each kind of new or fixed finding


@dataclass
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    uptime: UptimeConfig = field(default_factory=UptimeConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    checks: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def user_agent(self) -> str:
        if self.crawl.user_agent:
            return self.crawl.user_agent
        contact = f"; +{self.site.contact_url}" if self.site.contact_url else ""
        return f"siteaudit/{__version__} (website compliance auditor{contact})"

    def snapshot(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source", None)
        return data

    def hash(self) -> str:
        text = json.dumps(hashed(self.snapshot()), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def audit_hash(self) -> str:
        """The hash of what decides an audit's findings: the config without where things are stored, the uptime
        probe, the fleet and reuse settings. An incremental run reuses only a run with the same audit hash."""
        return audit_hash(self.snapshot())

    def store_path(self) -> Path | str:
        """The SQLite file, or the PostgreSQL URL when store.url is set."""
        if self.store.url:
            return self.store.url
        if self.store.path:
            return Path(self.store.path).expanduser()
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "siteaudit" / "siteaudit.sqlite3"


def _check_type(key: str, value: Any, expected: Any) -> Any:
    """Validate one scalar or list value against a dataclass field type."""
    if expected == "bool | None":
        expected = "bool"
    if expected in ("bool", bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if expected in ("int", int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
        if value < 0:
            raise ConfigError(f"{key}: must not be negative, got {value}")
        return value
    if expected in ("float", float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if expected in ("str", str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if expected == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        return value
    return value


def _fill(section_name: str, target: Any, data: Any) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{section_name}: expected a table, got {data!r}")
    known = {f.name: f for f in dataclasses.fields(target)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{section_name}.{key}: unknown key (known: {', '.join(sorted(known))})")
        setattr(target, key, _check_type(f"{section_name}.{key}", value, known[key].type))


def validate_url(key: str, url: str) -> str:
    """An absolute http(s) URL with a valid host and port and no user name or password in it."""
    shown = redact(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{key}: {shown!r} is not a valid URL ({exc})")
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{key}: {shown!r} is not an http(s) URL")
    if "@" in parts.netloc:
        raise ConfigError(f"{key}: {shown!r} has a user name or password in it; remove it (siteaudit never sends "
                          "credentials found in URLs)")
    if not parts.hostname:
        raise ConfigError(f"{key}: {shown!r} has no host name")
    if port == 0:
        raise ConfigError(f"{key}: {shown!r} has port 0")
    try:
        canonical_url(url)
    except ValueError as exc:
        raise ConfigError(f"{key}: {shown!r} has an invalid host name ({exc})")
    return url


NOT_AUDITED = ("store", "uptime", "fleet", "incremental", "publish", "digest", "evidence")


def hashed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a config hash covers: the snapshot, less a default site.timezone, so a config hashes as it did before
    that key existed (and its runs stay comparable)."""
    site = snapshot.get("site")
    if isinstance(site, dict) and site.get("timezone", DEFAULT_ZONE) == DEFAULT_ZONE:
        snapshot = {**snapshot, "site": {k: v for k, v in site.items() if k != "timezone"}}
    for key, default in (("publish", PublishConfig()), ("digest", DigestConfig()), ("evidence", EvidenceConfig())):
        if snapshot.get(key) == dataclasses.asdict(default):  # as before the key existed
            snapshot = {k: v for k, v in snapshot.items() if k != key}
    return snapshot


def audit_hash(snapshot: dict[str, Any]) -> str:
    """`Config.audit_hash` of a stored config snapshot."""
    kept = {k: v for k, v in hashed(snapshot).items() if k not in NOT_AUDITED}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def from_dict(data: dict[str, Any], source: str = "") -> Config:
    cfg = Config(source=source)
    for key, value in data.items():
        if key == "site":
            _fill("site", cfg.site, value)
        elif key == "crawl":
            _fill("crawl", cfg.crawl, value)
        elif key == "store":
            _fill("store", cfg.store, value)
        elif key == "uptime":
            _fill("uptime", cfg.uptime, value)
        elif key == "fleet":
            _fill("fleet", cfg.fleet, value)
        elif key == "incremental":
            _fill("incremental", cfg.incremental, value)
        elif key == "publish":
            _fill("publish", cfg.publish, value)
        elif key == "digest":
            _fill("digest", cfg.digest, value)
        elif key == "evidence":
            _fill("evidence", cfg.evidence, value)
        elif key == "checks":
            if not isinstance(value, dict):
                raise ConfigError("checks: expected a table")
            cfg.checks = value
        else:
            raise ConfigError(f"{key}: unknown section (known: site, crawl, store, uptime, fleet, incremental, "
                              "publish, digest, evidence, checks)")
    finish(cfg)
    return cfg


def finish(cfg: Config) -> None:
    """Derive defaults and check cross-field rules."""
    if not cfg.site.start_urls:
        raise ConfigError("site.start_urls: at least one start URL is required")
    for i, url in enumerate(cfg.site.start_urls):
        validate_url(f"site.start_urls[{i}]", url)
    cfg.site.start_urls = [canonical_url(u) for u in cfg.site.start_urls]
    try:
        hosts = [canonical_host(h) for h in cfg.site.allowed_hosts]
    except ValueError as exc:
        raise ConfigError(f"site.allowed_hosts: {cfg.site.allowed_hosts!r}: {exc}")
    cfg.site.allowed_hosts = list(dict.fromkeys(hosts)) or sorted({urlsplit(u).netloc for u in cfg.site.start_urls})
    if not cfg.site.name:
        cfg.site.name = cfg.site.allowed_hosts[0]
    try:
        zone_info(cfg.site.timezone)
    except ValueError as exc:
        raise ConfigError(f"site.timezone: {exc}")
    for i, pattern in enumerate(cfg.site.exclude):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"site.exclude[{i}]: bad regular expression {pattern!r}: {exc}")
    for key in ("max_pages", "concurrency", "concurrency_per_host", "download_timeout", "sniff_bytes"):
        if getattr(cfg.crawl, key) < 1:
            raise ConfigError(f"crawl.{key}: must be at least 1")
    if cfg.crawl.max_page_bytes < MIN_PAGE_BYTES:
        raise ConfigError(f"crawl.max_page_bytes: must be at least {MIN_PAGE_BYTES}, got {cfg.crawl.max_page_bytes}")
    if not cfg.crawl.autothrottle_target_concurrency > 0:
        raise ConfigError("crawl.autothrottle_target_concurrency: must be greater than 0, got "
                          f"{cfg.crawl.autothrottle_target_concurrency}")
    for i, url in enumerate(cfg.uptime.urls):
        validate_url(f"uptime.urls[{i}]", url)
    for key in ("tries", "timeout", "max_body_bytes"):
        if getattr(cfg.uptime, key) < 1:
            raise ConfigError(f"uptime.{key}: must be at least 1")
    if cfg.uptime.mail_to and not (cfg.uptime.smtp_host and cfg.uptime.mail_from):
        raise ConfigError("uptime.mail_to: needs uptime.smtp_host and uptime.mail_from")
    if cfg.digest.mail_to and not (cfg.uptime.smtp_host and cfg.uptime.mail_from):
        raise ConfigError("digest.mail_to: needs uptime.smtp_host and uptime.mail_from (the digest uses the SMTP "
                          "settings of the availability alerts)")
    if cfg.digest.report_url:
        validate_url("digest.report_url", cfg.digest.report_url)
    finish_uptime_judgement(cfg.uptime)
    finish_smtp(cfg.uptime)
    finish_services(cfg)
    if cfg.crawl.workers not in (1, 2):
        raise ConfigError(f"crawl.workers: must be 1 or 2, got {cfg.crawl.workers}")
    if cfg.crawl.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"crawl.log_level: {cfg.crawl.log_level!r} is not DEBUG, INFO, WARNING or ERROR")


BROKER_SCHEMES = ("amqp://", "amqps://", "pyamqp://", "redis://", "rediss://")


def finish_services(cfg: Config) -> None:
    """The shared store and the broker are URLs of the right kind; a password belongs in a file, not here."""
    if cfg.store.url:
        if not cfg.store.url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(f"store.url: expected a postgresql:// URL, got {redact(cfg.store.url)!r}")
        if cfg.store.path:
            raise ConfigError("store.url: set either store.path (SQLite) or store.url (PostgreSQL), not both")
    if cfg.fleet.broker and not cfg.fleet.broker.startswith(BROKER_SCHEMES):
        raise ConfigError(f"fleet.broker: expected an amqp:// or redis:// URL, got {redact(cfg.fleet.broker)!r}")
    if cfg.fleet.state and not cfg.fleet.state.startswith(("redis://", "rediss://")):
        raise ConfigError(f"fleet.state: expected a redis:// URL, got {redact(cfg.fleet.state)!r}")
    if cfg.incremental.max_age_days < 0:
        raise ConfigError("incremental.max_age_days: must be 0 or more")
    if cfg.fleet.lock_seconds < 10:
        raise ConfigError("fleet.lock_seconds: must be at least 10 seconds")
    if cfg.fleet.a11y_batch_pages < 1:
        raise ConfigError("fleet.a11y_batch_pages: must be at least 1 page")
    if cfg.evidence.screenshots < 0:
        raise ConfigError("evidence.screenshots: must be 0 (none) or more")
    if cfg.evidence.screenshot_bytes < 4096:
        raise ConfigError(f"evidence.screenshot_bytes: must be at least 4096, got {cfg.evidence.screenshot_bytes}")


def finish_uptime_judgement(u: UptimeConfig) -> None:
    """The size threshold is a share of the usual size; the extra redirect hosts are hosts as the site's are."""
    if not 0 <= u.min_size_ratio < 1:
        raise ConfigError(f"uptime.min_size_ratio: must be at least 0 (off) and below 1, got {u.min_size_ratio}")
    hosts = []
    for i, host in enumerate(u.allowed_redirect_hosts):
        key = f"uptime.allowed_redirect_hosts[{i}]"
        if not host.strip() or any(c in host.strip() for c in "/?#@ \\"):
            raise ConfigError(f"{key}: {host!r} is not a host name (give host or host:port)")
        try:
            hosts.append(canonical_host(host))
        except ValueError as exc:
            raise ConfigError(f"{key}: {host!r}: {exc}")
    u.allowed_redirect_hosts = list(dict.fromkeys(hosts))


def uptime_warnings(cfg: Config) -> list[str]:
    """What makes the nightly probe weaker than it should be, though not wrong: said once when it runs."""
    if cfg.uptime.keyword or cfg.site.agency:
        return []
    return ["uptime.keyword: no keyword (neither uptime.keyword nor site.agency is set), so a page answered with "
            "200 is 正常 whatever it says unless its title, heading or size shows an error page"]


def finish_smtp(u: UptimeConfig) -> None:
    """STARTTLS by default when a password is sent; a password in clear only when asked for by name."""
    if u.smtp_starttls is None:
        u.smtp_starttls = bool(u.smtp_user) and not u.smtp_ssl
    if u.smtp_ssl and u.smtp_starttls:
        raise ConfigError("uptime.smtp_ssl: use either smtp_ssl (SMTPS) or smtp_starttls, not both")
    if u.smtp_user and not (u.smtp_starttls or u.smtp_ssl or u.smtp_allow_plain_password):
        raise ConfigError("uptime.smtp_starttls: false would send the SMTP password in clear; set smtp_starttls "
                          "or smtp_ssl to true (or smtp_allow_plain_password = true to accept that)")


def read_toml(path: str | Path) -> dict[str, Any]:
    """A config file's TOML table; unreadable, non-UTF-8 and invalid files are config errors naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 (byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}")


def load(path: str | Path) -> Config:
    return from_dict(read_toml(path), source=str(path))


def for_url(url: str, **crawl_overrides: Any) -> Config:
    """A config with sensible defaults for auditing a bare URL."""
    validate_url("URL", url)
    return from_dict({"site": {"start_urls": [url]}, "crawl": crawl_overrides})
