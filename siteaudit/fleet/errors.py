"""The fleet's one error: a broker, database or queue problem said in one line."""

from __future__ import annotations


class FleetError(RuntimeError):
    """The broker or the database cannot be reached, or a fleet command cannot go on."""
