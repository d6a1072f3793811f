"""`siteaudit schedule print|install`: the crontab and systemd units with the real paths filled in."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from siteaudit.core import config as config_mod
from siteaudit.core.config import ConfigError
from siteaudit.core.dates import TAIPEI

TEMPLATES = Path(__file__).parent / "templates"
UPTIME_AT = dt.time(20, 0)   # Asia/Taipei
AUDIT_AT = dt.time(2, 30)
SYSTEMD_UNITS = ("siteaudit-uptime.service", "siteaudit-uptime.timer", "siteaudit-audit.service",
                 "siteaudit-audit.timer", "siteaudit-audit-full.service", "siteaudit-audit-full.timer",
                 "siteaudit-worker@.service")
FULL_AUDIT_DAYS = (0,)              # Sunday (cron's 0) in Asia/Taipei: the weekly full audit
INCREMENTAL_DAYS = (1, 2, 3, 4, 5, 6)
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def siteaudit_command() -> str:
    """The installed command's absolute path (the venv's console script when run from one)."""
    beside = Path(sys.executable).parent / "siteaudit"
    if beside.exists():
        return str(beside)
    return shutil.which("siteaudit") or f"{sys.executable} -m siteaudit"


def local_cron_time(taipei: dt.time, today: dt.date | None = None) -> str:
    """"MINUTE HOUR" in this server's time zone of `taipei` (Asia/Taipei) on `today`."""
    day = today or dt.datetime.now(TAIPEI).date()
    local = dt.datetime.combine(day, taipei, TAIPEI).astimezone()
    return f"{local.minute} {local.hour}"


def local_cron_days(taipei: dt.time, days: tuple[int, ...], today: dt.date | None = None) -> str:
    """cron's day-of-week field (0 = Sunday) in this server's time zone for `days` at `taipei` in Asia/Taipei:
    02:30 on a Taipei Sunday is 18:30 on Saturday in UTC."""
    day = today or dt.datetime.now(TAIPEI).date()
    shift = (dt.datetime.combine(day, taipei, TAIPEI).astimezone().date() - day).days
    return ",".join(str(d) for d in sorted((d + shift) % 7 for d in days))


def zone_has_dst() -> bool:
    """True when this server's time zone has daylight saving: a cron hour computed now moves in Taipei."""
    return bool(time.daylight) and time.tzname[0] != time.tzname[1]


def server_zone() -> str:
    return "/".join(dict.fromkeys(time.tzname))


def dst_warning() -> str:
    """A warning for a crontab written in a zone with daylight saving, else ""."""
    if not zone_has_dst():
        return ""
    return (f"warning: this server's time zone ({server_zone()}) has daylight saving: the cron hours were computed "
            f"for today and will run an hour off in Taipei after the change; write the crontab again then, "
            f"or use --kind systemd (its timers run in Asia/Taipei)")


def publish_steps(config: str, logdir: str, publish_to: str) -> tuple[str, str]:
    """The publish step after each nightly audit: a systemd ExecStartPost line and a crontab tail; none
    without `publish_to`. It runs whether the checks passed or failed: the page states the results either way."""
    if not publish_to:
        return "", ""
    command = (f"{siteaudit_command()} publish latest --config {Path(config).resolve()} "
               f"--out {Path(publish_to).resolve()}")
    return (f"# then the public results page (siteaudit publish)\nExecStartPost={command}\n",
            f"; {command} >> {Path(logdir).resolve()}/publish.log 2>&1")


def render(name: str, config: str, outdir: str, logdir: str, user: str = "", publish_to: str = "") -> str:
    text = (TEMPLATES / f"{name}.in").read_text(encoding="utf-8")
    unit, cron = publish_steps(config, logdir, publish_to)
    return text.format(publish_unit=unit, publish_cron=cron,
                       siteaudit=siteaudit_command(), config=str(Path(config).resolve()),
                       outdir=str(Path(outdir).resolve()), logdir=str(Path(logdir).resolve()),
                       user=f"{user} " if user else "", zone=server_zone(),
                       uptime_at=local_cron_time(UPTIME_AT), audit_at=local_cron_time(AUDIT_AT),
                       full_days=local_cron_days(AUDIT_AT, FULL_AUDIT_DAYS),
                       incremental_days=local_cron_days(AUDIT_AT, INCREMENTAL_DAYS),
                       broker=broker_of(config))


def broker_of(config: str) -> str:
    """The config's fleet.broker, and its fleet.state when set, for the worker unit's command line (a config that
    cannot be read is reported elsewhere)."""
    try:
        fleet = config_mod.load(config).fleet
    except ConfigError:
        return DEFAULT_BROKER
    return (fleet.broker or DEFAULT_BROKER) + (f" --state {fleet.state}" if fleet.state else "")


def files(kind: str, config: str, outdir: str, logdir: str, publish_to: str = "") -> dict[str, str]:
    if kind == "cron":
        return {"siteaudit": render("crontab", config, outdir, logdir, user="root", publish_to=publish_to)}
    return {unit: render(unit, config, outdir, logdir, publish_to=publish_to) for unit in SYSTEMD_UNITS}


def install(kind: str, config: str, outdir: str, logdir: str, dest: str | None, publish_to: str = "") -> list[Path]:
    target = Path(dest or ("/etc/cron.d" if kind == "cron" else "/etc/systemd/system"))
    target.mkdir(parents=True, exist_ok=True)
    Path(outdir).mkdir(parents=True, exist_ok=True)
    Path(logdir).mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files(kind, config, outdir, logdir, publish_to).items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
