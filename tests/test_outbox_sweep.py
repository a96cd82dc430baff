"""The outbox cannot forget: lost send jobs are resent, give-ups are recorded and page the backup.

Real database, Redis and RQ worker; Twilio's REST API is the local recording server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Retry
from sqlalchemy import select

from config.policy import Policy
from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_ticket
from tests.twilio_api import TwilioAPI
from tickets import paging
from tickets.models import OutboundMessage, Page, TicketEvent
from workers import outbox
from workers.messages import enqueue_outbound, send_gave_up, send_outbound
from workers.queueing import enqueue

CHI = ZoneInfo("America/Chicago")
NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=CHI)  # Tuesday 2 a.m.: reyes on call, lind backup
REYES, LIND = "+15555550142", "+15555550144"


@pytest.fixture
def policy(services: Services) -> Policy:
    found = services.policies.by_id("maple-street")
    assert found is not None
    return found


def page_committed_not_enqueued(services: Services, policy: Policy) -> tuple[int, int]:
    """The state a crash leaves between the filing job's commit and its enqueue: a ticket, a
    page row, a page SMS row `pending`, and no job in Redis."""
    with services.session() as s:
        ticket = make_ticket(s, disposition="urgent", flags=["post_op"], now=NIGHT)
        result = paging.page_for_ticket(s, policy, ticket, NIGHT)
        s.commit()
        assert result is not None and result.message_id is not None
        return ticket.id, result.message_id


def message(services: Services, mid: int) -> OutboundMessage:
    with services.session() as s:
        msg = s.get(OutboundMessage, mid)
        assert msg is not None
        s.expunge(msg)
        return msg


def events(services: Services, ticket_id: int) -> list[TicketEvent]:
    with services.session() as s:
        rows = list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)))
        for e in rows:
            s.expunge(e)
        return rows


def test_a_page_whose_send_was_never_enqueued_is_sent_by_the_sweep(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    tid, mid = page_committed_not_enqueued(services, policy)
    created = message(services, mid).created_at
    # Not yet stale: left alone (its own job may still be on the way).
    assert outbox.sweep(services.queue, created + timedelta(seconds=5))["resent"] == 0
    run_worker()
    assert twilio_api.messages() == []
    counts = outbox.sweep(services.queue, created + outbox.STALE_AFTER + timedelta(seconds=1))
    assert counts["resent"] == 1
    run_worker()
    assert [m["To"] for m in twilio_api.messages()] == [REYES]
    assert message(services, mid).status == "sent"
    # Settled: a later sweep sends nothing again.
    later = created + timedelta(minutes=5)
    assert outbox.sweep(services.queue, later)["resent"] == 0
    run_worker()
    assert len(twilio_api.messages()) == 1


def test_the_sweep_does_not_resend_a_message_whose_job_is_queued(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    _, mid = page_committed_not_enqueued(services, policy)
    enqueue_outbound(services.queue, mid, page=True)
    later = message(services, mid).created_at + timedelta(minutes=2)
    assert outbox.sweep(services.queue, later)["resent"] == 0
    run_worker()
    assert len(twilio_api.messages()) == 1


def test_a_send_that_went_out_before_a_crash_is_not_sent_again(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    """A worker killed after Twilio accepted the SMS but before the row said so: the row is
    `sending`; the resend finds the message at Twilio (by to, from and body) and sends nothing."""
    _, mid = page_committed_not_enqueued(services, policy)
    enqueue_outbound(services.queue, mid, page=True)
    run_worker()
    [accepted] = twilio_api.accepted
    with services.session() as s:  # as the killed worker left it
        msg = s.get(OutboundMessage, mid)
        assert msg is not None
        msg.status, msg.provider_sid, msg.sent_at = "sending", None, None
        s.commit()
    services.queue.fetch_job(f"nd-send_outbound-out{mid}").delete()  # type: ignore[union-attr]
    later = message(services, mid).created_at + timedelta(minutes=1)
    assert outbox.sweep(services.queue, later)["resent"] == 1
    run_worker()
    assert len(twilio_api.messages()) == 1  # no second POST
    done = message(services, mid)
    assert done.status == "sent" and done.provider_sid == accepted["sid"]


def test_twilio_refusing_a_page_for_good_pages_the_backup_at_once(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    tid, mid = page_committed_not_enqueued(services, policy)
    twilio_api.fail_next = [(400, 21211)]  # "invalid To number": permanent
    enqueue_outbound(services.queue, mid, page=True)
    run_worker()
    assert message(services, mid).status == "failed"
    [failed] = [e for e in events(services, tid) if e.kind == "send_failed"]
    assert failed.detail["purpose"] == "page" and failed.detail["to"] == "…0142"
    assert [m["To"] for m in twilio_api.messages()] == [LIND]  # the backup, no waiting
    assert "BACKUP" in twilio_api.messages()[0]["Body"]
    with services.session() as s:
        levels = {level: status for level, status in s.execute(select(Page.level, Page.status))}
    assert levels == {"primary": "escalated", "backup": "sent"}


def test_when_rq_gives_up_on_a_page_the_row_fails_and_the_backup_is_paged(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    """Twilio answers 500 to every try: after the last retry the row is `failed`, a ticket
    event says so, and the backup is paged; the row never stays `sending`."""
    tid, mid = page_committed_not_enqueued(services, policy)
    twilio_api.fail_next = [(500, 20500), (500, 20500)]
    # The real job and failure callback, with one immediate retry instead of PAGE_RETRY's waits.
    enqueue(
        services.queue,
        send_outbound,
        mid,
        key=f"out{mid}",
        retry=Retry(max=1),
        on_failure=send_gave_up,
    )
    run_worker()
    msg = message(services, mid)
    assert msg.status == "failed" and msg.attempts == 2 and "gave up" in (msg.error or "")
    assert [e.kind for e in events(services, tid)].count("send_failed") == 1
    assert [m["To"] for m in twilio_api.messages()] == [LIND]
    # The sweep finds nothing left to do: no resend, no second backup.
    assert outbox.sweep(services.queue, datetime.now(UTC) + timedelta(hours=1)) == {
        "resent": 0,
        "given_up": 0,
        "escalated": 0,
    }
    run_worker()
    assert len(twilio_api.messages()) == 1


def test_a_lost_escalation_is_done_by_the_sweep(
    services: Services, policy: Policy, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    tid, mid = page_committed_not_enqueued(services, policy)
    enqueue_outbound(services.queue, mid, page=True)  # sent, but its escalation job was lost
    run_worker()
    assert [m["To"] for m in twilio_api.messages()] == [REYES]
    sent_at = message(services, mid).sent_at
    assert sent_at is not None
    within = sent_at + timedelta(minutes=policy.ack_minutes)
    assert outbox.sweep(services.queue, within)["escalated"] == 0
    past = within + outbox.ESC_GRACE + timedelta(seconds=1)
    assert outbox.sweep(services.queue, past)["escalated"] == 1
    assert outbox.sweep(services.queue, past)["escalated"] == 0  # fires once
    run_worker()
    assert [m["To"] for m in twilio_api.messages()] == [REYES, LIND]


def test_the_sweep_chain_keeps_one_job_per_slot(services: Services) -> None:
    first = outbox.start(services.queue)
    again = outbox.start(services.queue)
    assert first.id == again.id
    assert services.queue.scheduled_job_registry.get_job_ids() == [first.id]
