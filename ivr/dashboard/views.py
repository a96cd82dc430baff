"""The queue and the ticket page: thin views over tickets.queue and tickets.lifecycle."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ivr.app import services
from ivr.dashboard import bp, claim_ttl, now, staff, timeline
from tickets import lifecycle
from tickets.models import DISPOSITIONS, Contact, StaffUser, Ticket
from tickets.queue import STATUSES, Filters, queue_page, visible
from workers.messages import enqueue_outbound


def parse_filters(args: MultiDict[str, str]) -> Filters:
    """Query-string filters; anything malformed falls back to the default."""
    status = args.get("status", "active")
    disposition = args.get("disposition") or None
    clinic = args.get("clinic") or None
    since = until = None
    day = args.get("date") or ""
    if day:
        try:
            local_day = date.fromisoformat(day)
        except ValueError:
            local_day = None
        if local_day is not None:
            policies = services().policies
            policy = (policies.by_id(clinic) if clinic else None) or policies.default
            start = datetime.combine(local_day, time(), tzinfo=policy.tz)
            since, until = start, start + timedelta(days=1)
    return Filters(
        status=status if status in STATUSES else "active",
        clinic=clinic,
        disposition=disposition if disposition in DISPOSITIONS else None,
        since=since,
        until=until,
        page=max(1, args.get("page", 1, type=int) or 1),
    )


def _usernames(session: Session) -> dict[int, str]:
    return {uid: name for uid, name in session.execute(select(StaffUser.id, StaffUser.username))}


def _queue_context() -> dict[str, Any]:
    filters = parse_filters(request.args)
    user = staff()
    with services().session() as s:
        page = queue_page(s, filters, allowed_clinics=user.clinics, now=now())
        names = _usernames(s)
    clinics = [
        p for p in services().policies.all if user.clinics is None or p.clinic_id in user.clinics
    ]
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return dict(
        page=page,
        filters=filters,
        names=names,
        now=now(),
        clinics=clinics,
        statuses=STATUSES,
        dispositions=DISPOSITIONS[::-1],
        args=args,
        effective=lifecycle.effective_status,
        show_clinic=len(clinics) > 1,  # a user who sees several clinics sees whose ticket it is
    )


@bp.get("/")
def queue() -> Any:
    return render_template("queue.html", **_queue_context())


@bp.get("/queue/rows")
def queue_rows() -> Any:
    """The queue's rows alone: the page polls this to show new tickets without a reload."""
    return render_template("queue_rows.html", **_queue_context())


def _ticket_or_404(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not visible(ticket, staff().clinics):
        abort(404)  # another clinic's ticket looks like no ticket
    return ticket


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> Any:
    with services().session() as s:
        t = _ticket_or_404(s, ticket_id)
        events = lifecycle.events(s, ticket_id)
        contacts = list(s.scalars(select(Contact).where(Contact.ticket_id == ticket_id)))
        names = _usernames(s)
        policy = services().policies.by_id(t.clinic_id)
        messages = timeline.messages_of(s, t, contacts)
        return render_template(
            "ticket.html",
            t=t,
            events=events,
            contacts=contacts,
            transcript=timeline.timeline(t, contacts, messages, policy),
            names=names,
            now=now(),
            policy=policy,
            status=lifecycle.effective_status(t, now()),
            attempt_results=lifecycle.ATTEMPT_RESULTS,
            outcomes=lifecycle.OUTCOMES,
        )


def _act(ticket_id: int, action: str) -> Any:
    """Run one lifecycle change for the logged-in user, commit, then enqueue any SMS."""
    if action not in lifecycle.ACTIONS:
        abort(404)
    with services().session() as s:
        _ticket_or_404(s, ticket_id)
        user = s.get(StaffUser, staff().id)
        assert user is not None
        try:
            message_id = lifecycle.apply(
                s, ticket_id, user, now(), action, request.form,
                policy_of=services().policies.by_id, ttl=claim_ttl(),
            )  # fmt: skip
            s.commit()
        except lifecycle.TransitionError as exc:
            s.rollback()
            flash(str(exc), "error")
            return redirect(url_for("dashboard.ticket", ticket_id=ticket_id)), 303
    if message_id is not None:
        enqueue_outbound(services().queue, message_id)
    flash(_DONE.get(action, "Saved."), "ok")
    target = "dashboard.queue" if action in ("resolve", "release") else "dashboard.ticket"
    if target == "dashboard.queue":
        return redirect(url_for(target), 303)
    return redirect(url_for(target, ticket_id=ticket_id), 303)


_DONE = {
    "claim": "Claimed: it is yours. Call the owner now.",
    "release": "Released back to the queue.",
    "attempt": "Call attempt logged.",
    "note": "Note added.",
    "resolve": "Resolved.",
    "reopen": "Reopened: it is back in the queue.",
}


@bp.post("/tickets/<int:ticket_id>/<action>")
def act(ticket_id: int, action: str) -> Any:
    if action not in _DONE:
        abort(404)
    return _act(ticket_id, action)
