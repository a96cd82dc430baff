"""The staff line: the paged vet calls the clinic's number and is connected to the owner, who sees
the clinic's number. Signed webhooks through the real app, real Redis, a real RQ worker, the
local Twilio API recording what was sent."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config.settings import DEFAULT_POLICY_DIR
from ivr import prompts
from ivr.vet_callback import PIN_FAILURES, PIN_TRIES
from nightdesk.cli import cli
from nightdesk.devphone import DevPhone, flask_post
from nightdesk.services import Services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, tickets
from tests.test_dashboard_fixtures import login, make_ticket, make_user
from tests.twilio_api import TwilioAPI
from tests.voice_helpers import CLINIC, Call, Twiml
from tickets.models import OutboundMessage, TicketEvent

NIGHT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 02:00 in Chicago: Dr. Reyes on call
DAY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 10:00: open
VIP = "+15555550177"  # on the example clinic's `vip` list: an emergency pages the on-call vet
REYES, LIND = "+15555550142", "+15555550144"  # on call, backup (example.yaml)
KIM = "+15555550241"  # on call for Harbor Cat Clinic (tests/data/policies/harbor.yaml)
HARBOR_NUMBER = "+15555550200"
STRANGER = "+15555550166"
HARBOR = Path(__file__).parent / "data" / "policies" / "harbor.yaml"
PIN = "4821"
_sids = itertools.count(1)


def vet_says(key: str, /, **params: Any) -> str:
    return prompts.render(f"vet_callback.{key}", params)


def clinics(folder: Path, *, pin: str | None = None) -> Path:
    text = (DEFAULT_POLICY_DIR / "example.yaml").read_text(encoding="utf-8")
    if pin:
        text = text.replace("  backup: lind ", f'  callback_pin: "{pin}"\n  backup: lind ', 1)
    (folder / "example.yaml").write_text(text, encoding="utf-8")
    shutil.copy(HARBOR, folder / "harbor.yaml")
    return folder


@pytest.fixture
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clinics(tmp_path_factory.mktemp("clinics"))


@pytest.fixture
def night(app: Flask) -> Flask:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return app


@pytest.fixture
def dial_in(night: Flask, signed_post: Callable[..., Any]) -> Callable[..., Call]:
    """A new call to a clinic's number from `caller`."""

    def make(caller: str, to: str = CLINIC) -> Call:
        return Call(signed_post, f"CA{next(_sids):032d}", to=to, caller=caller)

    return make


def dial_ended(call: Call, status: str = "completed", seconds: int = 0) -> Twiml:
    """Twilio's request to the <Dial action> when the call with the owner ends."""
    dial = call.last.dial if call.last else None
    assert dial is not None and dial.get("action"), "no <Dial action> to report to"
    form = call._form(
        CallStatus="in-progress",
        DialCallStatus=status,
        DialCallDuration=str(seconds),
        DialCallSid="CA" + "d" * 32,
    )
    return call._send(dial.get("action") or "", form)


def events(services: Services, ticket_id: int) -> list[TicketEvent]:
    with services.session() as s:
        rows = list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)))
        for e in rows:
            s.expunge(e)
    return rows


def outbox(services: Services) -> list[OutboundMessage]:
    with services.session() as s:
        rows = list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        for m in rows:
            s.expunge(m)
    return rows


def emergency_at_two(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> int:
    """An owner on the clinic's VIP list calls at 02:00 about a bleeding dog; the job files the
    ticket and pages the on-call vet. Returns the ticket's id."""
    owner = dial_in(VIP)
    owner.start()
    reply = owner.say("My dog Biscuit was hit by a car and he is bleeding everywhere")
    assert "emergency" in reply.text.lower()
    owner.status("completed")
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.caller == VIP and ticket.disposition == "emergency"
    return ticket.id


# --- the story of the issue ----------------------------------------------------------------------


def test_the_paged_vet_calls_the_owner_back_through_the_clinic_number(
    dial_in: Callable[..., Call],
    run_worker: Callable[[], int],
    services: Services,
    twilio_api: TwilioAPI,
    client: FlaskClient,
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)

    # the page went to the on-call vet, from the clinic's number, and says how to call back
    [page] = [m for m in twilio_api.messages() if m["To"] == REYES]
    assert page["From"] == CLINIC
    assert f"call {CLINIC} from this phone and pick #{tid}" in page["Body"]
    assert "PIN" not in page["Body"]  # this clinic asks for none

    # the vet calls the line from their phone: recognised, they hear the ticket's summary
    vet = dial_in(REYES)
    first = vet.start()
    assert first.status == 200 and "/voice/vet/" in (first.action or "")
    assert first.text.startswith(f"Ticket {tid}, emergency. Biscuit, a dog. Called at 2:00 AM.")
    assert "hit by a car" in first.text.lower() or "bleeding" in first.text.lower()
    assert vet_says("ask_connect") in first.says
    assert first.redirect == first.action  # no key pressed: the same question again

    # 1: the line dials the owner's number with the clinic's number as caller ID
    connect = vet.press("1")
    dial = connect.dial
    assert dial is not None and connect.dialled == VIP
    assert dial.get("callerId") == CLINIC
    assert REYES not in connect.body  # nothing of the vet's number reaches the owner's call
    assert vet_says("connecting", pet="Biscuit, a dog") in connect.says
    assert vet.resend().body == connect.body  # Twilio's retry: the same answer, recorded once

    # the owner's phone rang, they talked 3 min 12 s: the Dial's action reports it
    ended = dial_ended(vet, "completed", 192)
    assert ended.says == [vet_says("ended")] and ended.root.find("Hangup") is not None
    assert vet.resend().body == ended.body
    vet.status("completed")

    # the ticket records who called back, when and for how long
    trail = events(services, tid)
    kinds = [e.kind for e in trail]
    assert kinds.count("vet_callback") == 1 and kinds.count("vet_callback_ended") == 1
    started = next(e for e in trail if e.kind == "vet_callback")
    done = next(e for e in trail if e.kind == "vet_callback_ended")
    assert started.actor == "vet:…0142" and started.detail["person"] == "Dr. Ana Reyes"
    assert started.at == NIGHT
    assert done.detail["status"] == "completed" and done.detail["duration_s"] == 192
    assert all(REYES not in str(e.detail) for e in trail)

    # the ticket page shows the call-back
    with services.session() as s:
        make_user(s, "casey", "csr")
        s.commit()
    login(client)
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert (
        "Dr. Ana Reyes called the owner back through the line, showing the clinic's number" in text
    )
    assert "Dr. Ana Reyes's call with the owner: 3 min 12 s" in text
    assert REYES not in html

    # the owner's outbox never contains the vet's number, and comes from the clinic's
    to_owner = [m for m in outbox(services) if m.to == VIP]
    assert to_owner and all(m.from_ == CLINIC and REYES not in m.body for m in to_owner)
    sent_to_owner = [m for m in twilio_api.messages() if m["To"] == VIP]
    assert sent_to_owner and all(REYES not in str(m) for m in sent_to_owner)


def test_an_unknown_number_gets_the_owner_script(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    stranger = dial_in(STRANGER)
    first = stranger.start()
    assert prompts.render("ask_open") in first.says
    assert "/voice/vet/" not in (first.action or "") and str(tid) not in first.text
    assert stranger.press("1").root.find("Dial") is None  # no owner is dialled for them


def test_a_vet_of_another_clinic_is_not_recognised(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> None:
    emergency_at_two(dial_in, run_worker, services)
    # Harbor's vet calling Maple Street's number hears Maple Street's owner script
    first = dial_in(KIM).start()
    assert prompts.render("ask_open") in first.says and "/voice/vet/" not in (first.action or "")
    # Maple Street's vet calling Harbor's number too
    first = dial_in(REYES, to=HARBOR_NUMBER).start()
    assert "/voice/vet/" not in (first.action or "") and "Biscuit" not in first.text
    # Harbor's vet on Harbor's number is staff there, and Maple Street's ticket is not theirs
    own = dial_in(KIM, to=HARBOR_NUMBER).start()
    assert own.says == [vet_says("none_waiting")] + [vet_says("ask_number_only")]
    assert "Biscuit" not in own.text


def test_a_crafted_step_from_another_number_reaches_nobody(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    vet = dial_in(REYES)
    vet.start()
    vet.caller = STRANGER  # the same call's next step, but not from the vet's number
    reply = vet.press("1")
    assert reply.dial is None and reply.says == [vet_says("expired")]
    assert "vet_callback" not in [e.kind for e in events(services, tid)]


# --- picking a ticket, the PIN, the owner not answering ------------------------------------------


def test_several_tickets_are_picked_by_keypad_or_by_number(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    with services.session() as s:
        other = make_ticket(s, disposition="emergency", pet="Pepper", caller=STRANGER, now=NIGHT)
        routine = make_ticket(s, disposition="routine", pet="Milo", now=NIGHT)
        s.commit()
        other_id, routine_id = other.id, routine.id
    vet = dial_in(REYES)
    menu = vet.start()
    # the ticket paged to this vet first, then the clinic's other open emergency
    assert menu.says[:3] == [
        vet_says("waiting", count=2),
        vet_says("menu_item", pet="Biscuit, a dog", disposition="emergency", ticket=tid, press=1),
        vet_says(
            "menu_item", pet="Pepper, a dog", disposition="emergency", ticket=other_id, press=2
        ),
    ]
    assert menu.gather is not None and menu.gather.get("finishOnKey") == "#"
    assert "Milo" not in menu.text  # a routine ticket is the desk's, in the morning

    picked = vet.press("2")
    assert picked.says[0].startswith(f"Ticket {other_id}, emergency. Pepper, a dog.")
    back = vet.press("0")
    assert back.says[0] == vet_says("waiting", count=2)
    refused = vet.press(str(routine_id))
    assert refused.says[0] == vet_says("no_ticket", ticket=routine_id)
    by_number = vet.press(str(tid))
    assert by_number.says[0].startswith(f"Ticket {tid}, emergency. Biscuit")
    assert vet.press("1").dialled == VIP


def test_an_owner_who_does_not_answer_can_be_tried_again(
    dial_in: Callable[..., Call], run_worker: Callable[[], int], services: Services
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    vet = dial_in(REYES)
    vet.start()
    vet.press("1")
    missed = dial_ended(vet, "no-answer")
    assert missed.says[0] == vet_says("not_answered")
    assert vet_says("ask_connect") in missed.says
    again = vet.press("1")
    assert again.dialled == VIP and again.dial is not None
    dial_ended(vet, "completed", 65)
    ended = [e.detail for e in events(services, tid) if e.kind == "vet_callback_ended"]
    assert [(d["status"], d["duration_s"]) for d in ended] == [("no-answer", 0), ("completed", 65)]
    assert ended[1]["text"] == "Dr. Ana Reyes's call with the owner: 1 min 05 s"
    assert [e.kind for e in events(services, tid)].count("vet_callback") == 2


class TestWithAPin:
    @pytest.fixture
    def policy_path(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return clinics(tmp_path_factory.mktemp("clinics"), pin=PIN)

    def test_the_vet_keys_the_pin_first(
        self,
        dial_in: Callable[..., Call],
        run_worker: Callable[[], int],
        twilio_api: TwilioAPI,
        services: Services,
    ) -> None:
        tid = emergency_at_two(dial_in, run_worker, services)
        [page] = [m for m in twilio_api.messages() if m["To"] == REYES]
        assert f"from this phone and key your PIN and pick #{tid}" in page["Body"]
        vet = dial_in(REYES)
        ask = vet.start()
        assert ask.says == [vet_says("ask_pin", clinic="Maple Street Veterinary Clinic")]
        assert "Biscuit" not in ask.text  # nothing of the ticket before the PIN
        wrong = vet.press("1111")
        assert wrong.says[0] == vet_says("wrong_pin") and wrong.dial is None
        right = vet.press(PIN)
        assert right.says[0].startswith(f"Ticket {tid}, emergency. Biscuit")
        assert vet.press("1").dialled == VIP

    def test_three_wrong_pins_hang_up(self, dial_in: Callable[..., Call]) -> None:
        vet = dial_in(REYES)
        vet.start()
        vet.press("0000")
        vet.silence()
        locked = vet.press("9999")
        assert locked.says == [vet_says("locked")] and locked.root.find("Hangup") is not None


def test_the_dev_phone_plays_the_vet_side(
    dial_in: Callable[..., Call],
    run_worker: Callable[[], int],
    services: Services,
    client: FlaskClient,
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    phone = DevPhone(
        flask_post(client),
        url=PUBLIC_BASE,
        caller=REYES,
        token=AUTH_TOKEN,
        public_base=PUBLIC_BASE,
        out=lambda _line: None,
    )
    lines = phone.run(iter(["2", "1", "192"]))  # hear it again, call, talk 192 s
    assert sum(line.startswith(f"line: Ticket {tid}, emergency. Biscuit") for line in lines) == 2
    assert f"[dial {VIP} (caller ID {CLINIC})]" in lines
    assert "[dialled call: completed, 192 s]" in lines
    assert f"line: {vet_says('ended')}" in lines and lines[-1] == "[call ended]"
    [done] = [e for e in events(services, tid) if e.kind == "vet_callback_ended"]
    assert done.detail["duration_s"] == 192

    def test_a_pin_cannot_be_guessed_call_after_call(
        self, dial_in: Callable[..., Call], services: Services
    ) -> None:
        for _ in range(PIN_FAILURES // PIN_TRIES):
            vet = dial_in(REYES)
            vet.start()
            for guess in ("0000", "1111", "2222"):
                vet.press(guess)
        vet = dial_in(REYES)
        assert vet.start().says == [vet_says("ask_pin", clinic="Maple Street Veterinary Clinic")]
        assert vet.press("3333").says == [vet_says("locked")]  # the tenth wrong PIN this hour
        locked = dial_in(REYES).start()  # now even the right PIN is not asked for
        assert locked.says == [vet_says("locked")] and locked.gather is None
        assert services.redis.ttl(f"nd:vetpin:maple-street:{REYES}") > 3500
        assert dial_in(LIND).start().says[0] == vet_says(  # another vet's number is not locked
            "ask_pin", clinic="Maple Street Veterinary Clinic"
        )


def test_during_opening_hours_staff_reach_the_front_desk(
    app: Flask, signed_post: Callable[..., Any]
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: DAY
    reply = Call(signed_post, "CA" + "7" * 32, caller=REYES).start()
    assert reply.dialled == "+15555550101"


def test_config_check_validates_the_pin(tmp_path: Path) -> None:
    base = (DEFAULT_POLICY_DIR / "example.yaml").read_text(encoding="utf-8")
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(base.replace("  backup: lind ", '  callback_pin: "0042"\n  backup: lind '))
    bad.write_text(base.replace("  backup: lind ", "  callback_pin: 0042\n  backup: lind "))
    runner = CliRunner()
    assert runner.invoke(cli, ["config", "check", str(good)]).exit_code == 0
    result = runner.invoke(cli, ["config", "check", str(bad)])
    assert result.exit_code == 1
    line = base[: base.index("  backup: lind ")].count("\n") + 1
    assert f"{bad}:{line}: on_call.callback_pin: 34 is not a PIN of 4 to 8 digits" in result.output
    assert 'write 4 to 8 digits in quotes, e.g. callback_pin: "4821"' in result.output
