"""Objects named "package.module:attribute" and imported on first use.

What only some runs need (a command of the CLI, a check's runner, the PostgreSQL driver) is named this way instead of
imported at the top of the module that offers it, so that a run imports only what it uses. tests/test_layers.py
holds these names to the same layer contract as imports.
"""

from __future__ import annotations

import importlib
from typing import Any


def load(target: str) -> Any:
    """The attribute named by "module:attribute", its module imported now if it was not yet."""
    module, sep, attribute = target.partition(":")
    if not sep or not attribute:
        raise ValueError(f"{target!r}: expected 'module:attribute'")
    return getattr(importlib.import_module(module), attribute)
