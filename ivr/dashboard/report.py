"""The night report page (admins: the practice's owner or manager), its CSV, and the tickets
behind each figure. Thin views over tickets.report and tickets.nights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Response, abort, render_template, request, url_for
from sqlalchemy import select

from config.policy import Policy
from ivr.app import services
from ivr.auth import role_required
from ivr.dashboard import bp, now, staff
from tickets import report as rep
from tickets.lifecycle import LABELS
from tickets.models import DISPOSITIONS, Ticket
from tickets.nights import last_night, nights

OUTCOME_ORDER = (
    "er_that_night", "seen_today", "advice_given", "could_not_reach", "other",
    "sent_to_er", "appointment_booked", "no_action_needed",
)  # fmt: skip


@dataclass(frozen=True)
class Window:
    policy: Policy
    first: date
    last: date
    start: datetime
    end: datetime

    def args(self, **more: str) -> dict[str, Any]:
        return {
            "clinic": self.policy.clinic_id,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            **more,
        }


def _clinics() -> list[Policy]:
    allowed = staff().clinics
    return [p for p in services().policies.all if allowed is None or p.clinic_id in allowed]


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


def _window() -> Window:
    """Clinic and nights from the query string; last night of the first clinic by default."""
    clinics = _clinics()
    if not clinics:
        abort(404)
    wanted = request.args.get("clinic") or clinics[0].clinic_id
    policy = next((p for p in clinics if p.clinic_id == wanted), None)
    if policy is None:
        abort(404)  # another clinic's report looks like no report
    default = last_night(policy, now())
    first = _day("from") or _day("to") or default
    last = _day("to") or first
    first, last = min(first, last), max(first, last)
    start, end = nights(policy, first, last)
    return Window(policy, first, last, start, end)


def _chart_data(r: rep.Report) -> dict[str, Any]:
    """What report.js draws with Chart.js: labels and counts only."""
    outcomes = [o for o in OUTCOME_ORDER if any(k[1] == o for k in r.outcomes)]
    return {
        "dispositions": {"labels": list(r.dispositions), "counts": list(r.dispositions.values())},
        "outcomes": {
            "labels": list(DISPOSITIONS[::-1]),
            "series": [
                {
                    "label": LABELS.get(o, o),
                    "counts": [r.outcomes.get((d, o), 0) for d in DISPOSITIONS[::-1]],
                }
                for o in outcomes
            ],
        },
        "pages": {
            "labels": ["sent", "acknowledged", "escalated"],
            "counts": [r.pages_sent, r.pages_acked, r.pages_escalated],
        },
        "callbacks": {
            "labels": ["before the deadline", "late", "not yet due"],
            "counts": [r.on_time, r.late_count, r.pending],
        },
    }


@bp.get("/report")
@role_required("admin")
def report() -> Any:
    w = _window()
    with services().session() as s:
        r = rep.build(s, w.policy.clinic_id, w.start, w.end, now())

    def link(figure: str, key: str = "") -> str:
        extra = {"figure": figure, **({"key": key} if key else {})}
        return url_for("dashboard.report_tickets", **w.args(**extra))

    outcomes = [o for o in OUTCOME_ORDER if any(k[1] == o for k in r.outcomes)]
    return render_template(
        "report.html",
        r=r,
        w=w,
        clinics=_clinics(),
        link=link,
        outcomes=outcomes,
        dispositions=DISPOSITIONS[::-1],
        chart=_chart_data(r),
        csv_url=url_for("dashboard.report_csv", **w.args()),
    )


@bp.get("/report.csv")
@role_required("admin")
def report_csv() -> Any:
    w = _window()
    with services().session() as s:
        r = rep.build(s, w.policy.clinic_id, w.start, w.end, now())
    name = f"nightdesk-{w.policy.clinic_id}-{w.first}-{w.last}.csv"
    return Response(
        rep.csv_text(r, policy_name=w.policy.name),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/report/tickets")
@role_required("admin")
def report_tickets() -> Any:
    """The tickets one figure of the report counts."""
    w = _window()
    figure, key = request.args.get("figure", ""), request.args.get("key", "")
    with services().session() as s:
        try:
            ids = rep.ticket_ids(s, w.policy.clinic_id, w.start, w.end, now(), figure, key)
        except LookupError:
            abort(404)
        rows = list(s.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
    return render_template(
        "report_tickets.html",
        w=w,
        rows=rows,
        figure=figure,
        key=key,
        back=url_for("dashboard.report", **w.args()),
    )
