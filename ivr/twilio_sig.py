"""Signature check for Twilio webhooks (X-Twilio-Signature, HMAC-SHA1 of URL + sorted params)."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, abort, request
from twilio.request_validator import RequestValidator

from ivr import services

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio called: the configured public base + path, or the proxied request URL."""
    base = services().settings.public_base_url
    if base:
        url = base + request.path
        return url + ("?" + request.query_string.decode() if request.query_string else "")
    return request.url


@functools.lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def is_valid_twilio_request() -> bool:
    token = services().settings.twilio_auth_token
    if not token:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")  # validate() raises on None
    validator, url, form = _validator(token), public_url(), request.form
    # One HMAC for the URL as configured (the usual case); validate() tries both port variants.
    if hmac.compare_digest(validator.compute_signature(url, form), signature):
        return True
    return bool(validator.validate(url, form, signature))


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
