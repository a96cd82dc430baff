"""The JSON API for practice-management systems: bearer-token auth, acting as the "api" user."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.datastructures import MultiDict

from ivr.app import services
from tickets import lifecycle
from tickets.models import DISPOSITIONS, Ticket, TicketEvent, utcnow
from tickets.queue import PER_PAGE, STATUSES, Filters, queue_page
from tickets.users import api_user
from workers.messages import enqueue_outbound

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _require_token() -> None:
    token = services().settings.api_token
    given = request.headers.get("Authorization", "")
    if not token:
        abort(404)  # the API is off until NIGHTDESK_API_TOKEN is set
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(401)


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
        page = queue_page(session, filters, allowed_clinics=None, now=now)
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
        t = session.get(Ticket, ticket_id)
        if t is None:
            abort(404, f"ticket {ticket_id} does not exist")
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
        if session.get(Ticket, ticket_id) is None:
            abort(404, f"ticket {ticket_id} does not exist")
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
