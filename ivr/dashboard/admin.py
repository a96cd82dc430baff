"""Admin pages: the outbox (every SMS and call we sent or would send), users, the policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ivr.app import services
from ivr.auth import role_required
from ivr.dashboard import bp, now, staff
from ivr.dashboard.policy_view import overview
from tickets.models import OutboundMessage
from tickets.users import ROLES, UserError, create_user, disable_user, list_users


@bp.get("/admin/outbox")
@role_required("admin")
def outbox() -> Any:
    clinics = staff().clinics
    stmt = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(200)
    if clinics is not None:  # an admin of one clinic sees that clinic's messages only
        stmt = stmt.where(OutboundMessage.clinic_id.in_(list(clinics)))
    with services().session() as s:
        rows = list(s.scalars(stmt))
    visible = [p for p in services().policies.all if clinics is None or p.clinic_id in clinics]
    return render_template("outbox.html", rows=rows, show_clinic=len(visible) > 1)


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Any:
    if request.method == "POST":
        f = request.form
        with services().session() as s:
            try:
                create_user(
                    s,
                    f.get("username", ""),
                    f.get("password", ""),
                    f.get("role", ""),
                    clinic_id=f.get("clinic_id") or None,
                )
                s.commit()
                flash(f"User {f.get('username', '').strip().lower()} created.", "ok")
            except UserError as exc:
                flash(str(exc), "error")
        return redirect(url_for("dashboard.users"), 303)
    with services().session() as s:
        rows = list_users(s)
    return render_template("users.html", rows=rows, roles=ROLES, clinics=services().policies.all)


@bp.post("/admin/users/<username>/disable")
@role_required("admin")
def disable(username: str) -> Any:
    with services().session() as s:
        try:
            disable_user(s, username)
            s.commit()
            flash(f"User {username} disabled.", "ok")
        except UserError as exc:
            flash(str(exc), "error")
    return redirect(url_for("dashboard.users"), 303)


@bp.route("/admin/policy", methods=["GET", "POST"])
@role_required("admin")
def policy() -> Any:
    """The clinics' policies (read-only) and a dry run: what would the line do for this text?"""
    policies = services().policies
    result = error = None
    form = request.form
    if request.method == "POST":
        from nightdesk.explain import UnknownNumber, explain

        at = now()
        if form.get("at"):
            try:
                at = datetime.fromisoformat(form["at"])
            except ValueError:
                error = "Time must look like 2026-11-22T23:30"
        if at.tzinfo is None:
            chosen = policies.for_number(form.get("to")) or policies.default
            at = at.replace(tzinfo=chosen.tz)
        text = form.get("text", "").strip()
        if not text:
            error = "Type what a caller might say."
        if error is None:
            try:
                result = explain(
                    policies,
                    text,
                    at,
                    form.get("to") or None,
                    caller=form.get("caller") or None,
                    engine=services().triage,
                )
            except UnknownNumber as exc:
                error = str(exc)
    clinics = staff().clinics
    shown = [p for p in policies.all if clinics is None or p.clinic_id in clinics]
    return render_template(
        "policy.html",
        policies=shown,
        overviews=[overview(p, now()) for p in shown],
        result=result,
        error=error,
        form=form,
    )
