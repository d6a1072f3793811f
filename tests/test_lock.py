"""The versions tested are the versions shipped: the environment running the suite is requirements.lock."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from conftest import ROOT


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_package_is_the_locked_version():
    pins = locked()
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed = {name: v for name, v in installed.items() if name not in ("siteaudit", "pip", "setuptools", "wheel")}
    assert {n: v for n, v in installed.items() if pins.get(n) != v} == {}
    assert set(pins) <= set(installed)


def test_every_dependency_and_test_dependency_is_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {canonical(re.split(r"[\[<>=!~ ;]", req, maxsplit=1)[0]) for req in wanted}
    assert names - set(locked()) == set()
