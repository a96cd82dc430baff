"""Signature check for Twilio webhooks (X-Twilio-Signature, HMAC-SHA1 of URL + sorted params)."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, abort, request
from twilio.request_validator import RequestValidator

from ivr.app import services

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio called: the configured public base + path, or the proxied request URL.

    Read straight from the WSGI environ (after ProxyFix): werkzeug's request.url does IRI
    round trips that cost more than the HMAC; the check falls back to it on a mismatch.
    """
    env = request.environ
    path = env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", "")
    query = env.get("QUERY_STRING", "")
    tail = path + ("?" + query if query else "")
    base = services().settings.public_base_url
    if base:
        return base + tail
    host = env.get("HTTP_HOST") or f"{env.get('SERVER_NAME', '')}:{env.get('SERVER_PORT', '')}"
    return f"{env.get('wsgi.url_scheme', 'http')}://{host}{tail}"


@functools.lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def is_valid_twilio_request() -> bool:
    token = services().settings.twilio_auth_token
    if not token:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")  # validate() raises on None
    validator, url, form = _validator(token), public_url(), request.form
    # One HMAC for the URL as configured (the usual case); validate() tries both port variants,
    # then werkzeug's own reading of the URL.
    if hmac.compare_digest(validator.compute_signature(url, form), signature):
        return True
    if validator.validate(url, form, signature):
        return True
    return not services().settings.public_base_url and bool(
        validator.validate(request.url, form, signature)
    )


def twilio_webhook(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) a request whose Twilio signature does not match, before anything is stored."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        if not is_valid_twilio_request():
            log.warning("rejected unsigned or wrongly signed request to %s", request.path)
            abort(403)
        return view(*args, **kwargs)  # type: ignore[no-any-return]

    return wrapper


def twiml_response(twiml: Any) -> Response:
    """A TwiML document (built with the twilio library) as text/xml."""
    return Response(str(twiml), mimetype="text/xml")
