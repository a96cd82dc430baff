"""The CSR dashboard: the callback queue, the ticket page, and the admin pages (outbox, users,
policy). Server-rendered; a little vanilla JS polls for new tickets and runs the countdowns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, current_app
from flask_login import current_user, login_required

from ivr import auth
from ivr.app import services
from tickets import lifecycle
from tickets.models import utcnow

# No static folder here: every route of this blueprint needs a login, and the login page needs
# its stylesheet. The app itself serves ivr/static/ at /static to everyone (Flask's default
# static folder of the factory's module, so `url_for("static", ...)` in the templates).
bp = Blueprint("dashboard", __name__, template_folder="../templates")


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every dashboard page needs a logged-in user; others are sent to /login."""


def init_app(app: Flask) -> None:
    auth.init_app(app)
    app.jinja_env.globals.update(
        when=when, labels=lifecycle.LABELS, is_live=lifecycle.is_claim_live, clinic_name=clinic_name
    )


def when(at: datetime | None, clinic_id: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    """A UTC datetime on the clinic's wall clock."""
    if at is None:
        return ""
    policies = services().policies
    policy = (policies.by_id(clinic_id) if clinic_id else None) or policies.default
    return policy.local(at).strftime(fmt)


def clinic_name(clinic_id: str | None) -> str:
    """The clinic's name for a column (its id when no policy file names it any more)."""
    policy = services().policies.by_id(clinic_id) if clinic_id else None
    return policy.name if policy else (clinic_id or "")


def now() -> datetime:
    """Now (UTC); tests set app.config["NIGHTDESK_CLOCK"] to control it, as for the webhooks."""
    clock: Callable[[], datetime] | None = current_app.config.get("NIGHTDESK_CLOCK")
    return clock() if clock is not None else utcnow()


def claim_ttl() -> Any:
    from datetime import timedelta

    return timedelta(minutes=int(current_app.config["NIGHTDESK_CLAIM_MINUTES"]))


def staff() -> auth.Staff:
    return current_user  # type: ignore[return-value]


from ivr.dashboard import admin, report, views  # noqa: E402,F401  (routes register on bp)
