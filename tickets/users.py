"""Staff accounts of the dashboard: create, list, disable, verify (hashed passwords)."""

from __future__ import annotations

import functools
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from tickets.models import StaffUser

ROLES = ("csr", "vet", "admin")
API_USERNAME = "api"  # the actor of the JSON API; role "api" can never log in
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def create_user(
    session: Session, username: str, password: str, role: str, *, clinic_id: str | None = None
) -> StaffUser:
    username = username.strip().lower()
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserError("a username is letters, digits, '.', '-' or '_'")
    if username == API_USERNAME:
        raise UserError(f"{API_USERNAME!r} is reserved for the JSON API")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise UserError(f"user {username!r} already exists")
    user = StaffUser(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        clinic_id=clinic_id,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(
        session.scalars(
            select(StaffUser).where(StaffUser.role != "api").order_by(StaffUser.username)
        )
    )


def get_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))


def disable_user(session: Session, username: str) -> StaffUser:
    user = get_user(session, username)
    if user is None or user.role == "api":
        raise UserError(f"no user {username!r}")
    user.active = False
    return user


def verify(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this password, else None (same work either way)."""
    user = get_user(session, username)
    if user is None or user.role not in ROLES:
        check_password_hash(_dummy_hash(), password)  # keep timing alike for unknown names
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-password")


def api_user(session: Session) -> StaffUser:
    """The StaffUser row the JSON API acts as (created on first use, cannot log in)."""
    user = get_user(session, API_USERNAME)
    if user is None:
        user = StaffUser(
            username=API_USERNAME, password_hash="!", role="api", clinic_id=None, active=False
        )
        session.add(user)
        session.flush()
    return user


def ensure_first_admin(session: Session) -> tuple[str, str] | None:
    """With no staff user yet, create `admin` with a random password and return (name, password)."""
    count = session.scalar(
        select(func.count()).select_from(StaffUser).where(StaffUser.role != "api")
    )
    if count:
        return None
    password = secrets.token_urlsafe(12)
    create_user(session, "admin", password, "admin")
    session.commit()
    return "admin", password
