"""Staff login for the dashboard: Flask-Login sessions, CSRF on every form, rate-limited logins."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from ivr.app import services
from tickets.models import StaffUser
from tickets.users import ROLES, verify

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see the queue."
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
# Signature-checked (Twilio) or token-checked (API) blueprints: no cookies, so no CSRF.
CSRF_EXEMPT_BLUEPRINTS = ("voice", "sms", "api")
# Twilio webhook paths: never a cookie, so no session is loaded or saved for them.
WEBHOOK_PATHS = ("/voice", "/sms")


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie session, except on Twilio webhooks (a null session: nothing read or written)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        path = request.path
        if any(path == p or path.startswith(p + "/") for p in WEBHOOK_PATHS):
            return None  # Flask makes a null session, which is never saved
        return super().open_session(app, request)


class Staff(UserMixin):
    """The logged-in user as Flask-Login sees it: a detached copy of the StaffUser row."""

    def __init__(self, row: StaffUser):
        self.row = row
        self.id = row.id
        self.username = row.username
        self.role = row.role
        self.clinic_id = row.clinic_id

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def clinics(self) -> Collection[str] | None:
        """The clinics this user may see; None means every clinic."""
        return None if self.clinic_id is None else (self.clinic_id,)


@login_manager.user_loader
def _load_user(user_id: str) -> Staff | None:
    if not user_id.isdigit():
        return None
    with services().session() as s:
        row = s.get(StaffUser, int(user_id))
        if row is None or not row.active or row.role not in ROLES:
            return None
        s.expunge(row)
        return Staff(row)


def init_app(app: Flask) -> None:
    """Set up Flask-Login and CSRF (exempting the webhook and API blueprints)."""

    late = [name for name in CSRF_EXEMPT_BLUEPRINTS if name not in app.blueprints]
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    if late:  # registered after this: exempt them before CSRFProtect's own check

        @app.before_request
        def _exempt_webhooks() -> None:
            for name in late:
                if (blueprint := app.blueprints.get(name)) is not None:
                    csrf.exempt(blueprint)

    app.session_interface = _SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault(
        "NIGHTDESK_CLAIM_MINUTES", app.extensions["nightdesk"].settings.claim_minutes
    )
    app.register_blueprint(bp)


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """403 unless the logged-in user has one of these roles."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                return render_template("forbidden.html"), 403
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _limit_key(username: str) -> str:
    return f"nd:login:{username.strip().lower()[:64]}:{request.remote_addr or '-'}"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.queue"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    redis = services().redis
    key = _limit_key(username)
    failures = int(redis.get(key) or 0)
    if failures >= MAX_FAILURES:
        flash("Too many failed attempts. Wait 15 minutes, or ask an admin.", "error")
        return render_template("login.html", username=username), 429
    with services().session() as s:
        row = verify(s, username, password)
        if row is not None:
            s.expunge(row)
    if row is None:
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, LOCKOUT_SECONDS)
        pipe.execute()
        log.info("failed login for %r", username[:64])
        flash("Wrong username or password.", "error")
        return render_template("login.html", username=username), 401
    redis.delete(key)
    session.clear()  # a fresh session: no fixation
    login_user(Staff(row))
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("dashboard.queue")
    return redirect(target)


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
