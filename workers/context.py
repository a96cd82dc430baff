"""The services of a worker process: built once from the environment, or installed by tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nightdesk.services import Services

_current: Services | None = None


def install(services: Services | None) -> None:
    global _current
    _current = services


def services() -> Services:
    global _current
    if _current is None:
        from config.settings import Settings
        from nightdesk.services import build_services

        _current = build_services(Settings.from_env())
    return _current
