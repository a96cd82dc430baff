"""The JSON API for practice-management systems: bearer-token auth, acting as the "api" user.

A token sees every clinic (NIGHTDESK_API_TOKEN) or the clinics it is scoped to
(NIGHTDESK_API_TOKENS); another clinic's ticket is answered as if it did not exist (404).
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from config.settings import ApiToken, SettingsError
from ivr.app import services
from tickets import lifecycle
from tickets.models import DISPOSITIONS, Ticket, TicketEvent, utcnow
from tickets.queue import PER_PAGE, STATUSES, Filters, queue_page, visible
from tickets.users import api_user
from workers.messages import enqueue_outbound

bp = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    """Fail at start-up when a scoped token names a clinic that no policy file defines."""
    services = app.extensions["nightdesk"]
    for i, entry in enumerate(services.settings.api_tokens, start=1):
        unknown = sorted((entry.clinics or set()) - {p.clinic_id for p in services.policies.all})
        if unknown:
            known = ", ".join(p.clinic_id for p in services.policies.all)
            raise SettingsError(
                f"NIGHTDESK_API_TOKENS: token {i} names unknown clinic(s) {', '.join(unknown)} "
                f"(the policy files define: {known})"
            )


def token_scope(given: str, tokens: tuple[ApiToken, ...]) -> tuple[bool, Collection[str] | None]:
    """(known, clinics) for an Authorization header; clinics None means every clinic."""
    found: ApiToken | None = None
    for entry in tokens:  # every token compared, in constant time each
        if hmac.compare_digest(given.encode(), f"Bearer {entry.token}".encode()):
            found = entry
    return (found is not None, found.clinics if found else ())


@bp.before_request
def _require_token() -> None:
    tokens = services().settings.all_api_tokens
    if not tokens:
        abort(404)  # the API is off until NIGHTDESK_API_TOKEN(S) is set
    known, clinics = token_scope(request.headers.get("Authorization", ""), tokens)
    if not known:
        abort(401)
    g.api_clinics = clinics


def _clinics() -> Collection[str] | None:
    """The clinics the request's token may see (None: every clinic)."""
    return g.api_clinics  # type: ignore[no-any-return]


def _ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, or 404 when it does not exist or belongs to a clinic the token cannot see."""
    t = session.get(Ticket, ticket_id)
    if t is None or not visible(t, _clinics()):
        abort(404, f"ticket {ticket_id} does not exist")
    return t


@bp.errorhandler(400)
@bp.errorhandler(401)
@bp.errorhandler(404)
@bp.errorhandler(409)
def _json_error(exc: Any) -> Any:
    return jsonify({"error": getattr(exc, "description", str(exc))}), exc.code


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def ticket_json(t: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """A queue item as JSON (the list form: no transcript)."""
    return {
        "id": t.id,
        "clinic": t.clinic_id,
        "caller": t.caller,
        "callback_number": t.callback_number,
        "channel": t.channel,
        "disposition": t.disposition,
        "red_flags": t.red_flags,
        "summary": t.summary,
        "species": t.species,
        "patient": t.patient,
        "status": lifecycle.effective_status(t, now or utcnow()),
        "claimed_by": t.claimed_by if lifecycle.is_claim_live(t, now or utcnow()) else None,
        "claim_expires_at": _iso(t.claim_expires_at),
        "outcome": t.outcome,
        "due_at": t.due_at.isoformat(),
        "escalated_at": _iso(t.escalated_at),
        "created_at": t.created_at.isoformat(),
    }


def event_json(e: TicketEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "detail": e.detail}


def _filters(args: MultiDict[str, str]) -> Filters:
    status = args.get("status", "active")
    disposition = args.get("disposition") or None
    if status not in STATUSES:
        abort(400, f"status must be one of {', '.join(STATUSES)}")
    if disposition is not None and disposition not in DISPOSITIONS:
        abort(400, f"disposition must be one of {', '.join(DISPOSITIONS)}")
    try:
        since = datetime.fromisoformat(args["since"]) if args.get("since") else None
        until = datetime.fromisoformat(args["until"]) if args.get("until") else None
        return Filters(
            status=status,
            disposition=disposition,
            clinic=args.get("clinic") or None,
            since=since,
            until=until,
            page=args.get("page", 1, type=int) or 1,
            per_page=args.get("per_page", args.get("limit", PER_PAGE, type=int), type=int)
            or PER_PAGE,
        )
    except ValueError as exc:
        abort(400, str(exc))


@bp.get("/tickets")
def list_tickets() -> Any:
    filters = _filters(request.args)
    now = utcnow()
    with services().session() as session:
        page = queue_page(session, filters, allowed_clinics=_clinics(), now=now)
        return jsonify(
            {
                "tickets": [ticket_json(t, now) for t in page.tickets],
                "page": page.page,
                "per_page": page.per_page,
                "has_next": page.has_next,
            }
        )


@bp.get("/tickets/<int:ticket_id>")
def ticket_detail(ticket_id: int) -> Any:
    with services().session() as session:
        t = _ticket(session, ticket_id)
        return jsonify(_detail(t, lifecycle.events(session, ticket_id)))


def _detail(t: Ticket, events: list[TicketEvent]) -> dict[str, Any]:
    out = ticket_json(t)
    out.update(
        reasons=t.reasons,
        symptoms=t.symptoms,
        onset=t.onset,
        exposures=t.exposures,
        flags=t.flags,
        intent=t.intent,
        transcript=t.transcript,
        attempts=[event_json(e) for e in events if e.kind == "attempt"],
        notes=[event_json(e) for e in events if e.kind == "note"],
        events=[event_json(e) for e in events],
    )
    return out


# The API's resource names for the lifecycle's actions.
API_ACTIONS = {
    "claim": "claim",
    "release": "release",
    "attempts": "attempt",
    "notes": "note",
    "resolve": "resolve",
    "reopen": "reopen",
}


@bp.post("/tickets/<int:ticket_id>/<action>")
def transition(ticket_id: int, action: str) -> Any:
    """claim | release | attempts | notes | resolve | reopen, with a JSON body."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        abort(400, "the body must be a JSON object")
    verb = API_ACTIONS.get(action)
    if verb is None:
        abort(404, f"no action {action!r}")
    minutes = current_app.config.get("NIGHTDESK_CLAIM_MINUTES", services().settings.claim_minutes)
    ttl = timedelta(minutes=minutes)
    with services().session() as session:
        _ticket(session, ticket_id)
        user = api_user(session)
        try:
            message_id = lifecycle.apply(
                session, ticket_id, user, utcnow(), verb, body,
                policy_of=services().policies.by_id, ttl=ttl,
            )  # fmt: skip
            session.commit()
        except lifecycle.TransitionError as exc:
            session.rollback()
            abort(409, str(exc))
        t = session.get(Ticket, ticket_id)
        assert t is not None
        result = _detail(t, lifecycle.events(session, ticket_id))
    if message_id is not None:
        enqueue_outbound(services().queue, message_id)
    return jsonify(result)
