"""`siteaudit schedule print|install`: the crontab and systemd units with the real paths filled in."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from siteaudit.core import config as config_mod
from siteaudit.core.config import ConfigError

TEMPLATES = Path(__file__).parent / "templates"
SYSTEMD_UNITS = ("siteaudit-uptime.service", "siteaudit-uptime.timer", "siteaudit-audit.service",
                 "siteaudit-audit.timer", "siteaudit-worker@.service")
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def siteaudit_command() -> str:
    """The installed command's absolute path (the venv's console script when run from one)."""
    beside = Path(sys.executable).parent / "siteaudit"
    if beside.exists():
        return str(beside)
    return shutil.which("siteaudit") or f"{sys.executable} -m siteaudit"


def render(name: str, config: str, outdir: str, logdir: str, user: str = "") -> str:
    text = (TEMPLATES / f"{name}.in").read_text(encoding="utf-8")
    return text.format(siteaudit=siteaudit_command(), config=str(Path(config).resolve()),
                       outdir=str(Path(outdir).resolve()), logdir=str(Path(logdir).resolve()),
                       user=f"{user} " if user else "", broker=broker_of(config))


def broker_of(config: str) -> str:
    """The config's fleet.broker, for the worker unit (a config that cannot be read is reported elsewhere)."""
    try:
        return config_mod.load(config).fleet.broker or DEFAULT_BROKER
    except ConfigError:
        return DEFAULT_BROKER


def files(kind: str, config: str, outdir: str, logdir: str) -> dict[str, str]:
    if kind == "cron":
        return {"siteaudit": render("crontab", config, outdir, logdir, user="root")}
    return {unit: render(unit, config, outdir, logdir) for unit in SYSTEMD_UNITS}


def install(kind: str, config: str, outdir: str, logdir: str, dest: str | None) -> list[Path]:
    target = Path(dest or ("/etc/cron.d" if kind == "cron" else "/etc/systemd/system"))
    target.mkdir(parents=True, exist_ok=True)
    Path(outdir).mkdir(parents=True, exist_ok=True)
    Path(logdir).mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files(kind, config, outdir, logdir).items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
