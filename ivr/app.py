"""The Twilio-facing web app: the Flask factory, voice and SMS webhooks, the dashboard, the API."""

from __future__ import annotations

import gc
import importlib
import logging

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from nightdesk.services import Services

log = logging.getLogger(__name__)

# Each module defines a Flask blueprint named `bp` (and may define `init_app(app)`).
BLUEPRINT_MODULES = [
    "ivr.api",
    "ivr.voice",
    "ivr.sms",
    "ivr.dashboard",
]


def create_app(
    services: Services | None = None, *, test_config: dict | None = None, warm: bool = False
) -> Flask:
    """Build the app around a Services container (built from the environment when omitted).

    `warm=True` (gunicorn.conf.py, with preload) loads the triage engine now, in the master,
    so forked workers share it and no caller waits for spaCy on a worker's first call.
    """
    if services is None:
        from config.settings import Settings
        from nightdesk.services import build_services

        services = build_services(Settings.from_env())
    app = Flask(__name__)
    settings = services.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.dev,
        REMEMBER_COOKIE_SECURE=not settings.dev,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["nightdesk"] = services
    if hops := settings.proxy_hops:  # NIGHTDESK_PROXY_HOPS: 0 = exposed directly, trust no header
        # The load balancer's X-Forwarded-*: request.url is the public URL, remote_addr the client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    if not settings.twilio_auth_token:
        log.warning("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked (dev only)")
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "init_app"):
            module.init_app(app)
        app.register_blueprint(module.bp)
    if warm:
        services.triage  # noqa: B018 - load spaCy before gunicorn forks its workers
        from nlp.tokenizer import english_words

        english_words()  # the typo fixer's word list, shared by the forked workers too
        gc.collect()
        gc.freeze()
    return app


def services() -> Services:
    """The Services of the current app (for views only; domain code takes them as arguments)."""
    return current_app.extensions["nightdesk"]  # type: ignore[no-any-return]
