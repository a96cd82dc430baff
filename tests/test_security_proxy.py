"""Proxy hops and the login limit: X-Forwarded-For counts only as far as NIGHTDESK_PROXY_HOPS says.

The limit is Flask-Limiter's, counted in the app's (embedded, real) Redis.
"""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from config.settings import Settings, SettingsError
from ivr import create_app
from nightdesk.services import Services
from tests.test_dashboard_fixtures import PASSWORD, csrf_token, make_user


def _app(services: Services, hops: int) -> Flask:
    settings = dataclasses.replace(services.settings, proxy_hops=hops)
    return create_app(
        dataclasses.replace(services, settings=settings), test_config={"TESTING": True}
    )


def _login(client: FlaskClient, user: str, password: str, forwarded_for: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_token(client.get("/login").get_data(as_text=True))
    form = {"username": user, "password": password, "csrf_token": token}
    return client.post("/login", data=form, headers=headers)


@pytest.fixture
def casey(services: Services) -> str:
    with services.session() as s:
        make_user(s, "casey", "csr")
        s.commit()
    return "casey"


def test_settings_read_the_hops_and_refuse_nonsense() -> None:
    assert Settings.from_env({}).proxy_hops == 0  # exposed directly: trust no header
    assert Settings.from_env({"NIGHTDESK_PROXY_HOPS": "1"}).proxy_hops == 1
    for bad in ("-1", "one", "9"):
        with pytest.raises(SettingsError, match="NIGHTDESK_PROXY_HOPS"):
            Settings.from_env({"NIGHTDESK_PROXY_HOPS": bad})


def test_direct_exposure_a_new_forwarded_for_per_try_does_not_reset_the_limit(
    services: Services, casey: str, redis: Redis
) -> None:
    client = _app(services, hops=0).test_client()
    for i in range(5):
        assert _login(client, casey, "wrong", forwarded_for=f"198.51.100.{i}").status_code == 401
    locked = _login(client, casey, PASSWORD, forwarded_for="198.51.100.99")
    assert locked.status_code == 429  # even with the right password, from a "new" address
    page = locked.get_data(as_text=True)
    assert "Too many failed log-ins. Try again in 15 minutes." in page
    assert 840 <= int(locked.headers["Retry-After"]) <= 900
    assert 'name="password"' in page  # the login page again, not a bare error
    # Counted in Redis under the socket's address, never a forwarded one; so a second web
    # process (another app on the same Redis) agrees.
    keys = sorted(str(k, "ascii") for k in redis.keys("LIMITS:*nd:login*"))  # type: ignore[arg-type]
    assert keys == [
        "LIMITS:LIMITER/nd:login/127.0.0.1/auth.login/20/15/minute",
        "LIMITS:LIMITER/nd:login/127.0.0.1|casey/auth.login/5/15/minute",
    ]
    other = _app(services, hops=0).test_client()
    assert _login(other, casey, PASSWORD).status_code == 429


def test_behind_one_proxy_the_client_address_comes_from_the_header(
    services: Services, casey: str
) -> None:
    app = _app(services, hops=1)
    client = app.test_client()
    for _ in range(5):
        assert _login(client, casey, "wrong", forwarded_for="203.0.113.7").status_code == 401
    assert _login(client, casey, PASSWORD, forwarded_for="203.0.113.7").status_code == 429
    # Another client behind the same load balancer is not locked out by the first one.
    ok = _login(client, casey, PASSWORD, forwarded_for="203.0.113.8")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    # A client cannot prepend its own hop: only the last (the load balancer's) one is trusted.
    spoofed = _login(app.test_client(), casey, PASSWORD, forwarded_for="203.0.113.8, 203.0.113.7")
    assert spoofed.status_code == 429


def test_guessing_across_usernames_from_one_address_is_limited_too(
    services: Services, casey: str
) -> None:
    client = _app(services, hops=0).test_client()
    for i in range(20):
        assert _login(client, f"nobody{i}", "wrong").status_code == 401
    assert _login(client, casey, PASSWORD).status_code == 429


def test_a_successful_login_is_not_counted(services: Services, casey: str) -> None:
    app = _app(services, hops=0)
    for _ in range(8):
        client = app.test_client()
        assert _login(client, casey, PASSWORD).status_code == 302
    assert _login(app.test_client(), casey, "wrong").status_code == 401
