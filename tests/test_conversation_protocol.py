"""The triage conversation as owners really call and text: red flags asked for, the doubtful
confirmed, every word heard, worse means higher, a person asked for is heard (issue 10)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.answers import asks_person
from nightdesk.services import Services
from tests.conftest import tickets
from tests.sms_helpers import ER_NAME, Phone
from tests.voice_helpers import Call

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago: closed
_sids = itertools.count(1)
PREAMBLE = (
    "hi sorry to call so late, so we just got back from my sister's place, we drove about two "
    "hours and the kids were asleep in the back, and the dog was fine the whole way, he slept "
    "most of it, and we got home maybe an hour ago and I was putting the groceries away and "
    "the kids went to bed and then I went to check on him, "
)
SEIZURE = "and he's on his side paddling his legs and shaking and he won't respond to me"
NO = ["no", "nope", "no, nothing like that", "no", "not at all", "no", "no", "no", "no"]


@pytest.fixture
def clock(app: Flask) -> list[datetime]:
    now = [NIGHT]
    app.config["NIGHTDESK_CLOCK"] = lambda: now[0]
    return now


def new_call(signed_post: Callable[..., Any], caller: str = "+15555550123") -> Call:
    return Call(signed_post, f"CA{next(_sids):032x}", caller=caller)


def heard_er(says: list[str]) -> bool:
    return any(ER_NAME in s and "now" in s for s in says)


def test_a_seizure_after_a_309_character_preamble_is_heard_by_voice_and_sms(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    assert len(PREAMBLE) >= 309
    call = new_call(signed_post)
    call.start()
    assert heard_er(call.say(PREAMBLE + SEIZURE).says)
    (reply,) = Phone(signed_post, caller="+15555550177").text(PREAMBLE + SEIZURE)
    assert ER_NAME in reply and "emergency" in reply


def test_the_hidden_bloat_is_found_by_asking(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    call = new_call(signed_post)
    call.start()
    reply = call.say("um hi so my dog biscuit has just been kind of off tonight, he threw up once")
    assert not heard_er(reply.says)
    assert "how many times" in reply.says[-1].lower()  # vomiting: how often, blood, water
    reply = call.say("just the once, no blood")
    asked = reply.says[-1]
    assert "belly" in asked and "nothing coming up" in asked  # then the bloat screen
    reply = call.say("now that you say it his belly is big and tight and nothing comes up")
    assert heard_er(reply.says)


def test_every_red_flag_is_asked_before_a_callback_is_promised(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    call = new_call(signed_post)
    call.start()
    asked = [call.say("my dog Max has been scratching his ears since tuesday").says[-1]]
    for answer in NO:
        reply = call.say(answer)
        asked.append(reply.says[-1])
        if "call you back" in reply.text or reply.gather is None:
            break
    joined = " ".join(asked).lower()
    for sign in ("breathing", "gums", "collapsed", "seizure", "poisonous", "swallowed", "belly",
                 "retching", "straining to pee", "bleeding", "pain", "hit by a car"):  # fmt: skip
        assert sign in joined, sign
    assert not any(heard_er([a]) for a in asked)


@pytest.mark.parametrize(
    "opening",
    [
        "my cat Oreo has been sneezing",
        "Snickers has diarrhea since this morning",
        "my chocolate lab has been scratching his ears",
        "she flopped down and collapsed on the sofa like she always does, can I book a nail trim",
        "sorry, I'm panicking and I can hardly breathe, my cat has been sneezing all day",
    ],
)
def test_a_word_that_only_sounds_scary_never_sends_to_the_er(
    clock: list[datetime], signed_post: Callable[..., Any], opening: str
) -> None:
    call = new_call(signed_post)
    call.start()
    said = call.say(opening).says
    for answer in NO:
        if call.last is None or call.last.gather is None:
            break
        said += call.say(answer).says
    assert not heard_er(said)


def test_a_doubtful_red_flag_is_confirmed_once_and_an_unsure_answer_counts_as_yes(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    call = new_call(signed_post)
    call.start()
    reply = call.say("Hershey has been a bit off tonight, he got into the pantry earlier")
    assert not heard_er(reply.says)
    assert "swallowed or licked" in reply.says[-1].lower()  # one direct question
    assert heard_er(call.say("I'm not sure, maybe").says)


def test_five_requests_for_a_person_are_each_acknowledged_and_never_routine(
    clock: list[datetime], signed_post: Callable[..., Any], services: Services, run_worker: Any
) -> None:
    call = new_call(signed_post)
    call.start()
    call.say("my dog has an itchy spot on his back")
    for wording in [
        "can I talk to a person",
        "I want to speak to a real person",
        "is there a human I can talk to",
        "let me talk to someone please",
        "put me through to a person",
    ]:
        reply = call.say(wording)
        assert any("talk to a person" in s or "want a person" in s for s in reply.says), wording
    for _ in range(10):
        if call.last is None or call.last.gather is None:
            break
        call.say("no")
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition != "routine"


def test_worse_on_a_repeat_call_gives_er_guidance_and_raises_the_ticket(
    clock: list[datetime], signed_post: Callable[..., Any], services: Services, run_worker: Any
) -> None:
    first = new_call(signed_post)
    first.start()
    first.say("my dog Rex has had diarrhea since this morning, three times, he's acting normal")
    for answer in NO:
        if first.last is None or first.last.gather is None:
            break
        reply = first.say(answer)
    assert "bloody diarrhea" in reply.text  # the closing: what would make it an emergency
    first.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "urgent"
    clock[0] = NIGHT + timedelta(hours=2)
    again = new_call(signed_post)
    again.start()
    assert heard_er(again.say("it's Rex again, now there's bright red blood").says)
    again.status("completed")
    run_worker()
    [merged] = tickets(services)
    assert merged.id == ticket.id and merged.disposition == "emergency"


def test_a_long_first_text_that_names_the_dog_is_not_asked_its_name(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    story = (
        "Hi, I'm so sorry to text this late. My dog Biscuit, a four year old beagle, has been "
        "scratching at his left ear all week. "
        + "We tried the ear cleaner from the pet store and it seemed to help for a day. "
        * 40
    )
    assert len(story) >= 2800
    (reply,) = Phone(signed_post).text(story)
    assert "name" not in reply.lower() and "kind of animal" not in reply.lower()
    assert "Biscuit" in reply


def test_sms_er_guidance_is_sent_once_then_a_short_reminder(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    phone = Phone(signed_post)
    (first,) = phone.text("my dog just ate a whole bar of dark chocolate")
    assert "1200 River Road" in first
    (later,) = phone.text("he's still acting ok, should I really go?")
    assert ER_NAME in later and "1200 River Road" not in later and len(later) < len(first)


def test_the_conversation_and_the_jobs_import_no_flask() -> None:
    code = (
        "import sys, workers, workers.tickets, ivr.conversation, ivr.protocol, ivr.prompts;"
        "print('flask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_policy_explain_plays_the_real_conversation() -> None:
    from config.policy import Policies
    from config.settings import DEFAULT_POLICY_DIR
    from nightdesk.explain import explain

    policies = Policies.load(DEFAULT_POLICY_DIR)
    quiet = explain(policies, "my dog has been scratching his ears", NIGHT)
    heard = " ".join(quiet.caller_hears)
    assert "trouble breathing" in heard and "poisonous" in heard and "call you back" in heard
    er = explain(policies, "my dog just ate a whole bar of dark chocolate", NIGHT)
    assert any(ER_NAME in s and "now" in s for s in er.caller_hears)
    assert not any("trouble breathing" in s for s in er.caller_hears)  # ER at once, no screens


def test_a_person_asked_for_when_the_clinic_pages_is_paged_during_the_call(
    clock: list[datetime], signed_post: Callable[..., Any], services: Services, run_worker: Any
) -> None:
    """'I'm paging the on-call vet now' must be true now, not when the call ends."""
    from tickets.models import Page

    call = new_call(signed_post)
    call.start()
    call.say("my dog Rex had surgery on monday and his incision looks red and puffy")
    reply = call.say("can I please talk to a person")
    assert any("paging the on-call vet" in s for s in reply.says)
    assert reply.gather is not None  # the call goes on: the questions continue
    run_worker()
    with services.session() as s:
        pages = s.scalars(select(Page)).all()
    assert len(pages) == 1


@pytest.mark.parametrize(
    ("opening", "answer", "er"),
    [
        # the sign made small, and no red flag in the answer itself: a no
        (
            "so beans caught her nose on the screen door tonight and there was blood for a second, "
            "it stopped right away",
            "just a tiny scrape on her nose from the screen door",
            False,
        ),
        (
            "my husband says the cat's eye looks like it's poking out more than the other",
            "the eye's just a bit watery and red, it's not bulging or anything",
            False,
        ),
        # made small, but the answer says the red flag plainly: a yes
        (
            "my husband says the cat's eye looks like it's poking out more than the other",
            "just a little, but yes it's bulging out of the socket",
            True,
        ),
        # a poison or an object named in the answer is a yes however small it is made
        (
            "hershey got into the pantry tonight and he's been throwing up",
            "just a couple of grapes",
            True,
        ),
    ],
)
def test_a_confirmation_answered_by_making_the_sign_small(
    clock: list[datetime], signed_post: Callable[..., Any], opening: str, answer: str, er: bool
) -> None:
    call = new_call(signed_post)
    call.start()
    first = call.say(opening).says
    assert not heard_er(first)
    assert first[-1].startswith("You mentioned"), first  # the one direct question
    assert heard_er(call.say(answer).says) is er


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("can I talk to a person", True),
        ("is there a human I can talk to", True),
        ("i need to talk to the vet now", True),
        ("can i speak with someone", True),
        # a request for something, made of someone: not a person asked for now
        ("i need a refill on her thyroid pills, can someone call it in", False),
        ("they want to know if she's up to date on rabies, can someone check her records", False),
        ("i got charged twice, can someone look at that", False),
    ],
)
def test_a_person_is_asked_for_only_when_the_words_ask_for_one(text: str, asked: bool) -> None:
    assert asks_person(text) is asked


def test_a_confirmation_answered_by_putting_the_sign_in_the_past_is_a_no(
    clock: list[datetime], signed_post: Callable[..., Any]
) -> None:
    call = new_call(signed_post)
    call.start()
    said = call.say(
        "my cat rocky got in a fight with the neighbor's tom last week, and tonight this lump on "
        "his cheek just burst open and there's pus and it stinks"
    ).says
    confirmed = False
    for _ in range(12):
        if call.last is None or call.last.gather is None or heard_er(said):
            break
        asked = said[-1]
        if asked.startswith("You mentioned"):
            confirmed = True
            answer = "just that bite from the fight last week"
        elif "bleeding heavily" in asked:
            answer = "no, just pus and a little pink, the lump from the fight, it's draining"
        else:
            answer = "no"
        said += call.say(answer).says
    assert confirmed
    assert not heard_er(said)


@pytest.mark.parametrize(("pages", "promise"), [(0, "ack_person_vet"), (1, "ack_person")])
def test_a_page_is_promised_only_within_the_nightly_limit(pages: int, promise: str) -> None:
    """harbor.yaml allows one page a night: with it used, a person asked for hears the honest
    callback time, not 'I'm paging the on-call vet' (the filing job would not page)."""
    from pathlib import Path

    from config.policy import load_policy
    from ivr.conversation import new_conversation, step
    from ivr.flow_model import START, Event
    from nlp import load_engine

    policy = load_policy(Path(__file__).parent / "data" / "policies" / "harbor.yaml")
    now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert not policy.is_open(now)
    engine = load_engine()
    conv = new_conversation(
        channel="voice", conv_id="c1", policy=policy, caller="+15555550123", now=now
    )
    reply = step(conv, Event(START), engine=engine, policy=policy, now=now)
    reply = step(
        reply.conversation,
        Event.speech("hershey got into the pantry tonight"),
        engine=engine,
        policy=policy,
        now=now,
    )
    asked: list[int] = []

    def tonight() -> int:
        asked.append(pages)
        return pages

    reply = step(
        reply.conversation,
        Event.speech("can I talk to a person"),
        engine=engine,
        policy=policy,
        now=now,
        pages_tonight=tonight,
    )
    assert [p.key for p in reply.say][:1] == [promise]
    assert asked == [pages]  # counted once, when the request was weighed
    assert ("page_on_call" in reply.actions) is (pages == 0)


def test_the_services_count_tonights_pages(services: Services) -> None:
    from tests.test_dashboard_fixtures import make_ticket
    from tickets.models import Page

    policy = services.policies.all[0]
    now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    count = services.pages_tonight(policy, now)
    assert count() == 0
    with services.session() as s:
        ticket = make_ticket(s, disposition="emergency", now=now)
        s.add(Page(key="page:t:primary", ticket_id=ticket.id, clinic_id=policy.clinic_id,
                   person="kim", phone="+15555550142", level="primary", sent_at=now))  # fmt: skip
        s.commit()
    assert count() == 1  # counted when asked, not when made
