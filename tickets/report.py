"""The night report: what the line did over a clinic's night(s), in aggregate SQL.

Flask-free: the dashboard page, `nightdesk report` and the bench call `build()`. Every figure is
a count of rows, and `ticket_ids()` lists the tickets behind each one (the page's links).

Windows: tickets by `created_at`, calls and texts by the contact's `created_at`, pages by
`sent_at`, ER texts by their contact's. A night is defined in tickets/nights.py.
Outcomes against dispositions: over-triage is an emergency whose pet needed advice only;
under-triage is a routine or urgent ticket whose pet went to the ER that night.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from tickets.filing import MERGE_WINDOW
from tickets.models import DISPOSITIONS, Contact, OutboundMessage, Page, Ticket, TicketEvent

# Outcome classes (legacy outcomes of older tickets count with their nearest new one).
ER_OUTCOMES = ("er_that_night", "sent_to_er")
ADVICE_OUTCOMES = ("advice_given", "no_action_needed")
LOWER = ("routine", "urgent")
# A callback is done at the first call attempt logged on the ticket, the on-call vet's call to
# the owner through the line (ivr/vet_callback.py), or the ticket's resolution.
CALLBACK_KINDS = ("attempt", "vet_callback", "resolved")
LATE_LISTED = 200


@dataclass(frozen=True)
class Breakdown:
    """One red flag or rule id: its tickets, those with an outcome, over- and under-triaged."""

    key: str
    tickets: int
    with_outcome: int
    over: int
    under: int


@dataclass(frozen=True)
class Late:
    ticket_id: int
    disposition: str
    due_at: datetime
    done_at: datetime | None  # None: not called back yet
    summary: str


@dataclass
class Report:
    clinic_id: str
    start: datetime
    end: datetime
    tickets: int = 0
    dispositions: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    texts: int = 0
    hangups: int = 0
    transfers: int = 0
    repeat_callers: int = 0
    er_texts: int = 0
    pages_sent: int = 0
    pages_acked: int = 0
    pages_escalated: int = 0
    backup_pages: int = 0
    ack_median_s: float | None = None
    ack_max_s: float | None = None
    on_time: int = 0
    late_count: int = 0
    pending: int = 0
    late: list[Late] = field(default_factory=list)
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)
    by_flag: list[Breakdown] = field(default_factory=list)
    by_rule: list[Breakdown] = field(default_factory=list)

    @property
    def er_referrals(self) -> int:
        """Every emergency hears the ER guidance (and the ER's details by SMS)."""
        return self.dispositions.get("emergency", 0)

    @property
    def with_outcome(self) -> int:
        return sum(self.outcomes.values())

    @property
    def over(self) -> int:
        return sum(n for (d, o), n in self.outcomes.items() if _is_over(d, o))

    @property
    def under(self) -> int:
        return sum(n for (d, o), n in self.outcomes.items() if _is_under(d, o))

    def outcome_total(self, disposition: str) -> int:
        return sum(n for (d, _), n in self.outcomes.items() if d == disposition)


def _is_over(disposition: str, outcome: str) -> bool:
    return disposition == "emergency" and outcome in ADVICE_OUTCOMES


def _is_under(disposition: str, outcome: str) -> bool:
    return disposition in LOWER and outcome in ER_OUTCOMES


def _over() -> ColumnElement[bool]:
    return and_(Ticket.disposition == "emergency", Ticket.outcome.in_(ADVICE_OUTCOMES))


def _under() -> ColumnElement[bool]:
    return and_(Ticket.disposition.in_(LOWER), Ticket.outcome.in_(ER_OUTCOMES))


def _count_if(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _tickets(clinic_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Ticket.clinic_id == clinic_id, Ticket.created_at >= start, Ticket.created_at < end)


def _contacts(clinic_id: str, start: datetime, end: datetime) -> Select[Any]:
    """The clinic's contacts in the window. A contact joins a ticket filed with it or at most
    MERGE_WINDOW before it: bounding the tickets too lets PostgreSQL read both by index."""
    return (
        select(Contact.id)
        .join(Ticket, Ticket.id == Contact.ticket_id)
        .where(
            Contact.created_at >= start,
            Contact.created_at < end,
            _tickets(clinic_id, start - MERGE_WINDOW, end),
        )
    )


def _er_texted() -> ColumnElement[bool]:
    """Was this contact sent the ER details? The SMS line records its reply, the call's job its
    text, as `<contact source_key>:er_details` (before any ticket exists): one unique-key
    lookup per contact."""
    return (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.key == Contact.source_key + ":er_details",
            OutboundMessage.purpose == "er_details",
        )
        .correlate(Contact)
        .exists()
    )


def _pages(clinic_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Page.clinic_id == clinic_id, Page.sent_at >= start, Page.sent_at < end)


def _done_at() -> Any:
    """When the ticket was first called back (a correlated MIN over ix_ticket_event_done)."""
    return (
        select(func.min(TicketEvent.at))
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind.in_(CALLBACK_KINDS))
        .correlate(Ticket)
        .scalar_subquery()
    )


def _callbacks(clinic_id: str, start: datetime, end: datetime) -> Any:
    """(id, due_at, done) of the window's tickets, done = first callback or NULL: one index
    lookup per ticket (ix_ticket_event_done), in a materialized CTE so that each is made once
    (inlined, SQLite repeated it in every expression; grouping the events, PostgreSQL read them
    all)."""
    return (
        select(Ticket.id.label("id"), Ticket.due_at.label("due_at"), _done_at().label("done"))
        .where(_tickets(clinic_id, start, end))
        .cte("callbacks")
        .prefix_with("MATERIALIZED")
    )


def _elements(session: Session, column: Any) -> Any:
    """The JSON list `column` as a table of its text elements (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(column).table_valued("value").render_derived()
    return func.json_each(column).table_valued("value")


def _rule_id(session: Session, reason: Any) -> Any:
    """The rule id that ends a reason: "emergency: 'hit by a car' is trauma [trauma.injury]"."""
    if session.get_bind().dialect.name == "postgresql":
        return func.substring(reason, literal(r"\[([^\[\]]+)\]$"))
    at = func.instr(reason, " [")
    return case((at > 0, func.rtrim(func.substr(reason, at + 2), "]")), else_=None)


def build(
    session: Session, clinic_id: str, start: datetime, end: datetime, now: datetime
) -> Report:
    """Every figure of the report for one clinic over [start, end)."""
    r = Report(clinic_id, start, end)
    in_range = _tickets(clinic_id, start, end)
    for disposition, n in session.execute(
        select(Ticket.disposition, func.count()).where(in_range).group_by(Ticket.disposition)
    ):
        r.dispositions[disposition] = n
    r.dispositions = {d: r.dispositions.get(d, 0) for d in DISPOSITIONS[::-1]}
    r.tickets = sum(r.dispositions.values())

    contacts = _contacts(clinic_id, start, end)
    calls, texts, hangups, transfers = session.execute(
        contacts.with_only_columns(
            _count_if(Contact.channel == "voice"),
            _count_if(Contact.channel == "sms"),
            _count_if(and_(Contact.channel == "voice", Contact.ended_reason == "hangup")),
            _count_if(Contact.ended_reason == "transfer"),
        )
    ).one()
    r.calls, r.texts, r.hangups, r.transfers = calls, texts, hangups, transfers
    repeat = (
        contacts.with_only_columns(Contact.caller)
        .group_by(Contact.caller)
        .having(func.count() > 1)
        .subquery()
    )
    r.repeat_callers = session.scalar(select(func.count()).select_from(repeat)) or 0
    r.er_texts = session.scalar(contacts.with_only_columns(func.count()).where(_er_texted())) or 0
    _add_pages(session, r)
    _add_callbacks(session, r, now)
    for disposition, outcome, n in session.execute(
        select(Ticket.disposition, Ticket.outcome, func.count())
        .where(in_range, Ticket.status == "resolved", Ticket.outcome.is_not(None))
        .group_by(Ticket.disposition, Ticket.outcome)
    ):
        r.outcomes[(disposition, str(outcome))] = n
    r.by_flag = _breakdown(session, "flag", in_range)
    r.by_rule = _breakdown(session, "rule", in_range)
    return r


def _add_pages(session: Session, r: Report) -> None:
    where = _pages(r.clinic_id, r.start, r.end)
    primary = Page.level == "primary"
    sent, acked, escalated, backups = session.execute(
        select(
            _count_if(primary),
            _count_if(Page.acked_at.is_not(None)),
            _count_if(and_(primary, Page.status == "escalated")),
            _count_if(Page.level == "backup"),
        ).where(where)
    ).one()
    r.pages_sent, r.pages_acked, r.pages_escalated, r.backup_pages = sent, acked, escalated, backups
    waits = [
        (acked_at - sent_at).total_seconds()
        for sent_at, acked_at in session.execute(
            select(Page.sent_at, Page.acked_at).where(where, Page.acked_at.is_not(None))
        )
        if acked_at is not None
    ]
    if waits:
        r.ack_median_s, r.ack_max_s = statistics.median(waits), max(waits)


def _add_callbacks(session: Session, r: Report, now: datetime) -> None:
    rows = _callbacks(r.clinic_id, r.start, r.end)
    on_time, late, pending = session.execute(
        select(
            _count_if(rows.c.done <= rows.c.due_at),
            _count_if(_late(rows.c.done, rows.c.due_at, now)),
            _count_if(rows.c.done.is_(None) & (rows.c.due_at >= now)),
        )
    ).one()
    r.on_time, r.late_count, r.pending = on_time, late, pending
    listed = session.execute(
        select(Ticket.id, Ticket.disposition, Ticket.due_at, rows.c.done, Ticket.summary)
        .join(rows, rows.c.id == Ticket.id)
        .where(_late(rows.c.done, rows.c.due_at, now))
        .order_by(Ticket.due_at, Ticket.id)
        .limit(LATE_LISTED)
    )
    r.late = [Late(*row) for row in listed]


def _late(done: Any, due: Any, now: datetime) -> ColumnElement[bool]:
    return (done.is_not(None) & (done > due)) | (done.is_(None) & (due < now))


def _breakdown(session: Session, kind: str, in_range: Any) -> list[Breakdown]:
    """Per red flag (kind "flag") or rule id ("rule"): distinct tickets, those with an outcome,
    over- and under-triaged (a ticket that names one rule twice counts once). The window's
    tickets are read first (a materialized CTE over ix_ticket_clinic_created: joined to the
    JSON elements directly, SQLite's planner walked the clinic's whole index)."""
    column = Ticket.red_flags if kind == "flag" else Ticket.reasons
    scope = (
        select(
            Ticket.id.label("id"),
            column.label("vals"),
            case(
                (and_(Ticket.status == "resolved", Ticket.outcome.is_not(None)), 1), else_=0
            ).label("w"),
            case((_over(), 1), else_=0).label("o"),
            case((_under(), 1), else_=0).label("u"),
        )
        .where(in_range)
        .cte("scope")
        .prefix_with("MATERIALIZED")
    )
    elements = _elements(session, scope.c.vals)
    key = elements.c.value if kind == "flag" else _rule_id(session, elements.c.value)
    pairs = (
        select(scope.c.id, key.label("key"), scope.c.w, scope.c.o, scope.c.u)
        .select_from(scope)
        .join(elements, literal(True))
        .where(key.is_not(None))
        .distinct()
        .subquery()
    )
    rows = session.execute(
        select(
            pairs.c.key,
            func.count(),
            func.sum(pairs.c.w),
            func.sum(pairs.c.o),
            func.sum(pairs.c.u),
        )
        .group_by(pairs.c.key)
        .order_by(pairs.c.key)
    )
    return [Breakdown(str(k), n, int(w), int(o), int(u)) for k, n, w, o, u in rows]


# The tickets behind each figure ----------------------------------------------------------------

FIGURES = (
    "tickets", "disposition", "with_outcome", "outcome", "over", "under", "flag", "rule",
    "calls", "texts", "hangups", "transfers", "repeat", "er_texts",
    "pages_sent", "pages_acked", "pages_escalated", "on_time", "late", "pending",
)  # fmt: skip
LISTED = 500


def ticket_ids(
    session: Session,
    clinic_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    figure: str,
    key: str = "",
) -> list[int]:
    """The ids of the tickets a figure counts (ticket figures: filed in the window; contact,
    page and outbox figures: the tickets of those rows). `key` narrows: a disposition, a
    "disposition/outcome" cell, a red flag or rule id with an optional "/over" or "/under"."""
    if figure not in FIGURES:
        raise LookupError(f"no figure {figure!r}; one of {', '.join(FIGURES)}")
    stmt = select(Ticket.id).distinct()
    base, part = key.partition("/")[::2]
    conds: list[Any] = []
    if figure in ("calls", "texts", "hangups", "transfers", "repeat"):
        contact = {
            "calls": Contact.channel == "voice",
            "texts": Contact.channel == "sms",
            "hangups": and_(Contact.channel == "voice", Contact.ended_reason == "hangup"),
            "transfers": Contact.ended_reason == "transfer",
            "repeat": literal(True),
        }[figure]
        ids = _contacts(clinic_id, start, end).where(contact)
        if figure == "repeat":
            callers = (
                select(Contact.caller)
                .where(Contact.id.in_(ids))
                .group_by(Contact.caller)
                .having(func.count() > 1)
            )
            ids = ids.where(Contact.caller.in_(callers))
        conds.append(Ticket.id.in_(select(Contact.ticket_id).where(Contact.id.in_(ids))))
    elif figure.startswith("pages_"):
        page = {
            "pages_sent": Page.level == "primary",
            "pages_acked": Page.acked_at.is_not(None),
            "pages_escalated": and_(Page.level == "primary", Page.status == "escalated"),
        }[figure]
        pages = select(Page.ticket_id).where(_pages(clinic_id, start, end), page)
        conds.append(Ticket.id.in_(pages))
    elif figure == "er_texts":
        texted = _contacts(clinic_id, start, end).where(_er_texted())
        conds.append(Ticket.id.in_(select(Contact.ticket_id).where(Contact.id.in_(texted))))
    else:
        conds.append(_tickets(clinic_id, start, end))
        conds.extend(_ticket_conds(session, stmt, figure, base, part, now))
        if figure in ("flag", "rule"):
            elements = _elements(session, Ticket.red_flags if figure == "flag" else Ticket.reasons)
            value = elements.c.value if figure == "flag" else _rule_id(session, elements.c.value)
            stmt = stmt.select_from(Ticket).join(elements, literal(True))
            conds.append(value == base)
    return list(session.scalars(stmt.where(*conds).order_by(Ticket.id).limit(LISTED)))


def _ticket_conds(
    session: Session, stmt: Any, figure: str, base: str, part: str, now: datetime
) -> Iterable[Any]:
    if figure == "disposition":
        yield Ticket.disposition == base
    elif figure == "with_outcome":
        yield and_(Ticket.status == "resolved", Ticket.outcome.is_not(None))
    elif figure == "outcome":
        yield and_(Ticket.status == "resolved", Ticket.disposition == base, Ticket.outcome == part)
    elif figure == "over" or (figure in ("flag", "rule") and part == "over"):
        yield _over()
    elif figure == "under" or (figure in ("flag", "rule") and part == "under"):
        yield _under()
    elif figure in ("flag", "rule") and part == "outcome":
        yield and_(Ticket.status == "resolved", Ticket.outcome.is_not(None))
    elif figure in ("on_time", "late", "pending"):
        done = _done_at()
        yield {
            "on_time": done <= Ticket.due_at,
            "late": _late(done, Ticket.due_at, now),
            "pending": and_(done.is_(None), Ticket.due_at >= now),
        }[figure]


@dataclass(frozen=True)
class Figure:
    """One line of the report (CSV, command line): a value and the tickets behind it."""

    section: str
    label: str
    value: int | float | str
    figure: str = ""  # for ticket_ids(); "" when no ticket list stands behind it
    key: str = ""


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def figures(r: Report) -> list[Figure]:
    """The report as flat lines, in the page's order."""
    out = [
        Figure("contacts", "calls", r.calls, "calls"),
        Figure("contacts", "texts (SMS threads)", r.texts, "texts"),
        Figure("contacts", "hang-ups (calls ended before the closing)", r.hangups, "hangups"),
        Figure("contacts", "repeat callers (2+ contacts)", r.repeat_callers, "repeat"),
        Figure("tickets", "tickets", r.tickets, "tickets"),
        *(Figure("tickets", d, n, "disposition", d) for d, n in r.dispositions.items()),
        Figure("er", "ER referrals (emergencies)", r.er_referrals, "disposition", "emergency"),
        Figure("er", "ER details texted", r.er_texts, "er_texts"),
        Figure("er", "transfers to the ER", r.transfers, "transfers"),
        Figure("pages", "pages sent", r.pages_sent, "pages_sent"),
        Figure("pages", "pages acknowledged", r.pages_acked, "pages_acked"),
        Figure("pages", "escalated to the backup", r.pages_escalated, "pages_escalated"),
        Figure("pages", "time to acknowledge, median (s)", _seconds(r.ack_median_s)),
        Figure("pages", "time to acknowledge, max (s)", _seconds(r.ack_max_s)),
        Figure("callbacks", "called back before the deadline", r.on_time, "on_time"),
        Figure("callbacks", "late (after the deadline, or overdue)", r.late_count, "late"),
        Figure("callbacks", "not yet due", r.pending, "pending"),
        Figure("outcomes", "tickets with an outcome", r.with_outcome, "with_outcome"),
        Figure("outcomes", "over-triage (emergency, advice only)", r.over, "over"),
        Figure("outcomes", "under-triage (routine/urgent, went to the ER)", r.under, "under"),
    ]
    for (d, o), n in sorted(r.outcomes.items()):
        out.append(Figure("outcome", f"{d} -> {o}", n, "outcome", f"{d}/{o}"))
    for name, rows in (("flag", r.by_flag), ("rule", r.by_rule)):
        for b in rows:
            sec, k = f"by {name}", b.key
            out += [
                Figure(sec, f"{k}: tickets", b.tickets, name, k),
                Figure(sec, f"{k}: with outcome", b.with_outcome, name, f"{k}/outcome"),
                Figure(sec, f"{k}: over-triage", b.over, name, f"{k}/over"),
                Figure(sec, f"{k}: under-triage", b.under, name, f"{k}/under"),
            ]
    return out


def csv_text(r: Report, *, policy_name: str = "") -> str:
    """The report as CSV: section, figure, value, and the window it covers."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["clinic", "from_utc", "to_utc", "section", "figure", "value"])
    head = [policy_name or r.clinic_id, r.start.isoformat(), r.end.isoformat()]
    for f in figures(r):
        w.writerow([*head, f.section, f.label, f.value])
    for late in r.late:
        done = late.done_at.isoformat() if late.done_at else "not called back"
        w.writerow(
            [*head, "late callback", f"#{late.ticket_id} due {late.due_at.isoformat()}", done]
        )
    return buf.getvalue()
