"""The Twilio-facing line: the conversation (Flask-free) and the web app (`ivr.app`).

This package's own import loads nothing heavy: `ivr.conversation`, `ivr.flow_model`,
`ivr.protocol` and `ivr.prompts` are pure, so the jobs and the CLI use them without Flask.
`create_app` and `services` are looked up in `ivr.app` on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "services"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ivr import app

        return getattr(app, name)
    raise AttributeError(f"module 'ivr' has no attribute {name!r}")
