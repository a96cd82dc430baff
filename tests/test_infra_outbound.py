"""Outgoing messages: recorded once, sent once through the real twilio client, or the outbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from nightdesk.services import Services
from tests.twilio_api import TwilioAPI
from tickets.models import OptOut, OutboundMessage
from tickets.outbound import queue_sms
from workers.messages import enqueue_outbound


def _queue(
    services: Services, key: str = "k1", to: str = "+15555550123", purpose: str = "er_details"
) -> int:
    with services.session() as s:
        mid = queue_sms(
            s,
            key=key,
            clinic_id="maple-street",
            to=to,
            from_="+15555550100",
            body="Riverside Animal Emergency Center, +15555550199",
            purpose=purpose,
        )
        s.commit()
    return mid


def test_duplicate_intent_is_one_message_sent_once(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    first = _queue(services)
    second = _queue(services)
    assert first == second
    enqueue_outbound(services.queue, first)
    enqueue_outbound(services.queue, first)
    run_worker()
    assert len(twilio_api.messages()) == 1
    sent = twilio_api.messages()[0]
    assert sent["To"] == "+15555550123" and sent["From"] == "+15555550100"
    assert "Riverside" in sent["Body"]
    with services.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboundMessage)) == 1
        assert s.get(OutboundMessage, first).status == "sent"  # type: ignore[union-attr]


def test_server_error_is_retried_then_sent(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    twilio_api.fail_next.append((500, 20500))
    mid = _queue(services)
    enqueue_outbound(services.queue, mid)
    run_worker()
    with services.session() as s:
        msg = s.get(OutboundMessage, mid)
        assert msg is not None and msg.status == "sending" and msg.attempts == 1
    # the retry looks at Twilio first (ambiguous failure), then sends once
    from workers.messages import send_outbound

    assert send_outbound(mid) == "sent"
    assert len(twilio_api.messages()) == 1


def test_opted_out_number_is_never_sent(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    with services.session() as s:
        s.add(OptOut(phone="+15555550123", clinic_number="+15555550100", active=True))
        s.commit()
    mid = _queue(services, purpose="callback_promise")  # er_details would go as a call
    enqueue_outbound(services.queue, mid)
    run_worker()
    assert twilio_api.messages() == []
    with services.session() as s:
        assert s.get(OutboundMessage, mid).status == "blocked"  # type: ignore[union-attr]


def test_without_credentials_messages_go_to_the_outbox(
    services: Services, twilio_api: TwilioAPI
) -> None:
    from tickets.outbound import deliver

    mid = _queue(services)
    with services.session() as s:
        assert deliver(s, mid, None).status == "outbox"
    assert twilio_api.requests == []
