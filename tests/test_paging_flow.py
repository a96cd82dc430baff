"""Paging with acknowledgement, through the real database, Redis, RQ worker and scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import SimpleWorker
from rq.job import Job
from sqlalchemy import func, select

from config.policy import Policy
from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_ticket
from tests.twilio_api import TwilioAPI
from tickets import paging
from tickets.models import OutboundMessage, Page, TicketEvent
from workers.paging import dispatch, escalate_page

CHI = ZoneInfo("America/Chicago")
NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=CHI)  # Tuesday 2 a.m.: reyes on call, lind backup
REYES, LIND = "+15555550142", "+15555550144"
VIP = "+15555550177"


@pytest.fixture
def policy(services: Services) -> Policy:
    found = services.policies.by_id("maple-street")
    assert found is not None
    return found


def work_with_scheduler(services: Services) -> None:
    """A real worker in burst mode that first moves due scheduled jobs to the queue."""
    queue = services.queue
    worker = SimpleWorker([queue], connection=services.redis, serializer=queue.serializer)
    worker.work(burst=True, with_scheduler=True)


def time_passes(services: Services) -> list[str]:
    """Make every scheduled job due now (as if its delay had passed); returns their ids."""
    registry = services.queue.scheduled_job_registry
    ids = registry.get_job_ids()
    for jid in ids:
        job = Job.fetch(jid, connection=services.redis, serializer=services.queue.serializer)
        registry.schedule(job, datetime.now(UTC) - timedelta(seconds=1))
    return ids


def page_urgent_post_op(services: Services, policy: Policy) -> tuple[int, paging.PageResult]:
    with services.session() as s:
        ticket = make_ticket(s, disposition="urgent", flags=["post_op"], now=NIGHT)
        result = paging.page_for_ticket(s, policy, ticket, NIGHT)
        s.commit()
        tid = ticket.id
    assert result is not None and result.message_id is not None
    dispatch(services.queue, result)
    return tid, result


def kinds(services: Services, ticket_id: int) -> list[str]:
    with services.session() as s:
        q = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
        return list(s.scalars(q.order_by(TicketEvent.id)))


def test_no_ack_pages_the_backup_once(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    tid, result = page_urgent_post_op(services, policy)
    run_worker()  # sends the page; the escalation waits in the scheduler
    sent = twilio_api.messages()
    assert [m["To"] for m in sent] == [REYES]
    assert sent[0]["From"] == policy.phone and "Reply 1 to acknowledge" in sent[0]["Body"]
    assert REYES not in sent[0]["Body"] and "+15555550123" not in sent[0]["Body"]
    registry = services.queue.scheduled_job_registry
    [jid] = registry.get_job_ids()
    delay = registry.get_scheduled_time(jid) - datetime.now(UTC)
    assert timedelta(minutes=14) < delay <= timedelta(minutes=15)

    work_with_scheduler(services)  # not due yet: nothing happens
    assert len(twilio_api.messages()) == 1

    time_passes(services)
    work_with_scheduler(services)  # escalates, then sends the backup page
    work_with_scheduler(services)
    sent = twilio_api.messages()
    assert [m["To"] for m in sent] == [REYES, LIND]
    assert sent[1]["Body"].startswith("BACKUP Maple Street") and "Dr. Ana Reyes" in sent[1]["Body"]
    assert registry.get_job_ids() == []  # the backup page does not escalate further

    assert escalate_page(result.page_id) == "escalated"  # a rerun fires nothing
    run_worker()
    assert len(twilio_api.messages()) == 2
    assert kinds(services, tid) == ["paged", "escalated_page"]
    with services.session() as s:
        pages = s.scalars(select(Page).order_by(Page.id)).all()
        assert [(p.level, p.status) for p in pages] == [
            ("primary", "escalated"),
            ("backup", "sent"),
        ]
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid)).all()
        assert all(REYES not in str(e.detail) and LIND not in str(e.detail) for e in events)


def test_ack_stops_the_escalation(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    tid, result = page_urgent_post_op(services, policy)
    run_worker()
    with services.session() as s:
        assert paging.acknowledge(s, REYES, "hello", NIGHT) is None  # not an ack
        assert paging.acknowledge(s, LIND, "1", NIGHT) is None  # nothing paged to her
        ack = paging.acknowledge(
            s, REYES, " 1 ", NIGHT + timedelta(minutes=4), clinic_id="maple-street"
        )
        s.commit()
    assert ack is not None and ack.ticket_ids == [tid] and f"#{tid}" in ack.reply
    time_passes(services)
    work_with_scheduler(services)
    job = Job.fetch(
        f"nd-escalate_page-esc{result.page_id}",
        connection=services.redis,
        serializer=services.queue.serializer,
    )
    assert job.return_value() == "acked"
    assert [m["To"] for m in twilio_api.messages()] == [REYES]
    assert kinds(services, tid) == ["paged", "page_acked"]
    with services.session() as s:
        page = s.get(Page, result.page_id)
        assert page is not None and page.status == "acked" and page.acked_at is not None
        assert paging.acknowledge(s, REYES, "1", NIGHT + timedelta(minutes=5)) is None


def test_a_duplicate_never_pages_twice(services: Services, policy: Policy) -> None:
    with services.session() as s:
        ticket = make_ticket(s, disposition="urgent", flags=["post_op"], now=NIGHT)
        first = paging.page_for_ticket(s, policy, ticket, NIGHT)
        again = paging.page_for_ticket(s, policy, ticket, NIGHT + timedelta(minutes=1))
        s.commit()
        assert first is not None and again is not None and first.page_id == again.page_id
        assert again.message_id is None
        assert s.scalar(select(func.count(OutboundMessage.id))) == 1


def test_nightly_page_limit(services: Services, policy: Policy) -> None:
    decisions = []
    with services.session() as s:
        for i in range(policy.max_pages_per_night + 1):
            t = make_ticket(s, disposition="emergency", caller=VIP, pet=f"Pet{i}", now=NIGHT)
            decisions.append(paging.page_for_ticket(s, policy, t, NIGHT + timedelta(minutes=i)))
        post_op = make_ticket(s, disposition="urgent", flags=["post_op"], now=NIGHT)
        always = paging.page_for_ticket(s, policy, post_op, NIGHT + timedelta(minutes=9))
        s.commit()
        assert [d is not None for d in decisions] == [True, True, True, False]
        assert always is not None  # "always" pages even past the limit
        reason = s.scalars(select(TicketEvent.detail).where(TicketEvent.kind == "not_paged")).one()
        assert "3 of 3 pages tonight" in reason["reason"]
        # the next night starts at closing time: the count is back to zero
        next_night = datetime(2026, 11, 24, 23, 0, tzinfo=CHI)
        assert paging.pages_tonight(s, policy, next_night) == 0
        assert paging.pages_tonight(s, policy, NIGHT + timedelta(minutes=10)) == 4


def test_routine_is_not_paged_and_says_why(services: Services, policy: Policy) -> None:
    with services.session() as s:
        t = make_ticket(s, disposition="routine", now=NIGHT)
        assert paging.page_for_ticket(s, policy, t, NIGHT) is None
        s.commit()
        event = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)).one()
        assert event.kind == "not_paged" and "routine" in event.detail["reason"]


def test_a_paged_vet_calls_back_through_the_clinic_number(
    services: Services, policy: Policy
) -> None:
    with services.session() as s:
        t = make_ticket(s, disposition="urgent", flags=["post_op"], now=NIGHT)
        paging.page_for_ticket(s, policy, t, NIGHT)
        s.commit()
        bridge = paging.bridge_target(s, policy, REYES, t.id)
        assert bridge == paging.Bridge(
            dial="+15555550123", caller_id="+15555550100", ticket_id=t.id
        )
        assert paging.bridge_target(s, policy, LIND, t.id) is None  # not paged about it
        assert paging.bridge_target(s, policy, "+15555550123", t.id) is None  # not a vet
