"""The JSON API for practice-management systems: bearer-token auth."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from ivr import services
from tickets.models import Ticket

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _require_token() -> None:
    token = services().settings.api_token
    given = request.headers.get("Authorization", "")
    if not token:
        abort(404)  # the API is off until NIGHTDESK_API_TOKEN is set
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(401)


def ticket_json(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "clinic": t.clinic_id,
        "caller": t.caller,
        "callback_number": t.callback_number,
        "channel": t.channel,
        "disposition": t.disposition,
        "red_flags": t.red_flags,
        "reasons": t.reasons,
        "symptoms": t.symptoms,
        "onset": t.onset,
        "species": t.species,
        "patient": t.patient,
        "exposures": t.exposures,
        "flags": t.flags,
        "intent": t.intent,
        "summary": t.summary,
        "transcript": t.transcript,
        "status": t.status,
        "outcome": t.outcome,
        "due_at": t.due_at.isoformat(),
        "created_at": t.created_at.isoformat(),
    }


@bp.get("/tickets")
def list_tickets() -> Any:
    limit = min(request.args.get("limit", 100, type=int) or 100, 500)
    with services().session() as session:
        rows = session.scalars(
            select(Ticket)
            .order_by(Ticket.disposition_rank.desc(), Ticket.due_at, Ticket.id)
            .limit(limit)
        ).all()
        return jsonify({"tickets": [ticket_json(t) for t in rows]})
