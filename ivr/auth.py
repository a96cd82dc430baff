"""Staff login for the dashboard: Flask-Login sessions, CSRF on every form, rate-limited logins.

Failed log-ins are counted by Flask-Limiter in the app's Redis, per client address (as
NIGHTDESK_PROXY_HOPS defines it: the socket's peer, or the load balancer's X-Forwarded-For).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter, RequestLimit
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
# Failed log-ins allowed in any 15 minutes (a moving window): per username from one client
# address, and from one address whatever the usernames (guessing across accounts).
LOGIN_LIMIT = "5 per 15 minutes"
ADDRESS_LIMIT = "20 per 15 minutes"
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
    _limit_logins(app)


def _client() -> str:
    """The client address: ProxyFix has put the trusted X-Forwarded-For hop here, if any."""
    return request.remote_addr or "-"


def _client_and_user() -> str:
    return f"{_client()}|{request.form.get('username', '').strip().lower()[:64]}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _too_many(limit: RequestLimit) -> Response:
    """The login page again, with how long to wait (429)."""
    seconds = max(1, int(limit.reset_at - time.time()))
    minutes = max(1, round(seconds / 60))
    flash(
        f"Too many failed log-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
        "error",
    )
    page = render_template("login.html", username=request.form.get("username", "")[:64])
    return Response(page, status=429, headers={"Retry-After": str(seconds)})


def _limit_logins(app: Flask) -> None:
    """A Flask-Limiter of this app, on its Redis, counting the log-ins that fail (401)."""
    redis = app.extensions["nightdesk"].redis
    limiter = Limiter(
        key_func=_client,
        storage_uri="redis://",  # the connection pool below is the app's Redis
        storage_options={"connection_pool": redis.connection_pool},
        strategy="moving-window",
        key_prefix="nd:login",
    )
    limiter.init_app(app)
    limiter.request_filter(lambda: request.endpoint != "auth.login")  # webhooks: no lookups
    app.extensions["nightdesk_limiter"] = limiter
    common: dict[str, Any] = dict(methods=["POST"], deduct_when=_failed, on_breach=_too_many)
    view: Callable[..., Any] = login
    view = limiter.limit(LOGIN_LIMIT, key_func=_client_and_user, **common)(view)
    view = limiter.limit(ADDRESS_LIMIT, key_func=_client, **common)(view)
    app.view_functions["auth.login"] = view


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.queue"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    with services().session() as s:
        row = verify(s, username, password)
        if row is not None:
            s.expunge(row)
    if row is None:  # counted by the login limits (_limit_logins)
        log.info("failed login for %r", username[:64])
        flash("Wrong username or password.", "error")
        return render_template("login.html", username=username), 401
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
