"""The CSR dashboard: the callback queue, the ticket page, and the admin pages (outbox, users,
policy). Server-rendered; a little vanilla JS polls for new tickets and runs the countdowns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, current_app
from flask_login import current_user, login_required

from ivr import auth, services
from tickets import lifecycle
from tickets.models import utcnow

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static/dashboard",
)


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every dashboard page needs a logged-in user; others are sent to /login."""


def init_app(app: Flask) -> None:
    auth.init_app(app)
    app.jinja_env.globals.update(
        when=when, labels=lifecycle.LABELS, is_live=lifecycle.is_claim_live
    )


def when(at: datetime | None, clinic_id: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    """A UTC datetime on the clinic's wall clock."""
    if at is None:
        return ""
    policies = services().policies
    policy = (policies.by_id(clinic_id) if clinic_id else None) or policies.default
    return policy.local(at).strftime(fmt)


def now() -> datetime:
    return utcnow()


def claim_ttl() -> Any:
    from datetime import timedelta

    return timedelta(minutes=int(current_app.config["NIGHTDESK_CLAIM_MINUTES"]))


def staff() -> auth.Staff:
    return current_user  # type: ignore[return-value]


from ivr.dashboard import admin, views  # noqa: E402,F401  (routes register on bp)
