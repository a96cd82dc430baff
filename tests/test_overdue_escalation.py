"""Overdue escalation: the manager is texted once per overdue ticket, by a real RQ worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_ticket
from tests.twilio_api import TwilioAPI
from tickets.models import OutboundMessage, Ticket, TicketEvent, utcnow
from workers import overdue


def test_overdue_job_alerts_the_manager_once_per_ticket(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    now = utcnow()
    with services.session() as s:
        late = make_ticket(s, disposition="emergency", due_in=-5, now=now).id
        make_ticket(s, pet="Later", due_in=30, now=now)
        make_ticket(s, pet="Done", due_in=-60, now=now, status="resolved")
        s.commit()
    job = services.queue.enqueue(overdue.check_overdue)
    run_worker()
    assert job.get_status(refresh=True) == "finished" and job.return_value() == 1
    sent = twilio_api.messages()
    assert len(sent) == 1
    assert sent[0]["To"] == "+15555550102" and sent[0]["From"] == "+15555550100"
    assert f"#{late}" in sent[0]["Body"] and "Biscuit" in sent[0]["Body"]
    assert "+15555550123" not in sent[0]["Body"]  # the owner's number is masked
    # a second run (and the self-scheduled next run) send nothing more
    services.queue.enqueue(overdue.check_overdue)
    run_worker()
    assert len(twilio_api.messages()) == 1
    with services.session() as s:
        t = s.get(Ticket, late)
        assert t is not None and t.escalated_at is not None
        kinds = s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == late)).all()
        assert kinds == ["escalated"]
        assert len(s.scalars(select(OutboundMessage)).all()) == 1


def test_the_job_reschedules_itself_once_per_slot(services: Services) -> None:
    now = utcnow()
    first = overdue.schedule_next(services.queue, now=now)
    again = overdue.schedule_next(services.queue, now=now)
    assert first.id == again.id
    scheduled = services.queue.scheduled_job_registry.get_job_ids()
    assert scheduled == [first.id]
    job = Job.fetch(first.id, connection=services.redis, serializer=services.queue.serializer)
    assert job.func_name == "workers.overdue.check_overdue" and job.retries_left == 5
    later = overdue.schedule_next(services.queue, now=now + timedelta(minutes=1))
    assert later.id != first.id


def test_without_a_manager_number_the_on_call_phone_is_alerted(services: Services) -> None:
    from dataclasses import replace

    policy = replace(services.policies.default, manager_phone=None)
    assert overdue.manager_phone(policy) == "+15555550142"
