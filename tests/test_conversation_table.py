"""The conversation engine on its own: the table, the pure step(), prompts, on the real engine."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from config.policy import Policies, Policy
from config.settings import DEFAULT_POLICY_DIR
from ivr import prompts
from ivr.conversation import (
    ASKING,
    TABLE,
    TRANSITIONS,
    Conversation,
    Event,
    Reply,
    closing_params,
    new_conversation,
    step,
)
from nlp import load_engine

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policies.load(DEFAULT_POLICY_DIR).default


def play(policy: Policy, *answers: str | Event, channel: str = "voice") -> list[Reply]:
    conv = new_conversation(
        channel=channel, conv_id="CA1", policy=policy, caller="+15555550123", now=NIGHT
    )
    replies = []
    for answer in (Event("start"), *answers):
        event = answer if isinstance(answer, Event) else Event.speech(answer, 0.9)
        reply = step(conv, event, engine=load_engine(), policy=policy, now=NIGHT)
        replies.append(reply)
        conv = reply.conversation
    return replies


def test_every_transition_leads_to_a_known_state() -> None:
    specials = {"@route", "@same", "@resume", "@resume_answer"}
    for state, row in TRANSITIONS.items():
        for outcome, target in row.items():
            assert target in TABLE or target in specials, (state, outcome, target)
    assert set(ASKING) == {"open", "species", "screen", "verify", "onset", "surgery", "heard"}
    for name, entry in TABLE.items():  # every row says something a prompt file holds
        assert entry.says.startswith("protocol:") or prompts.has(entry.says), name


def test_every_prompt_renders_on_both_channels(policy: Policy) -> None:
    table = prompts.load()["en-US"]
    for key in (k for k in table if not k.startswith("words.")):
        fields = {
            f
            for ch in prompts.CHANNELS
            for f in re.findall(r"{(\w+)}", prompts.template(key, channel=ch))
        }
        params: dict[str, Any] = {f: "x" for f in fields}
        for channel in prompts.CHANNELS:
            text = prompts.render(key, params, channel=channel)
            assert text and "{" not in text, key
    params = closing_params({}, policy, channel="sms", language="en-US")
    assert prompts.render("escalate_advice", params, channel="sms").startswith("If your pet")


def test_after_the_story_the_complaints_red_flags_are_asked_first(policy: Policy) -> None:
    replies = play(policy, "my dog Rex has been vomiting since yesterday morning")
    # species, name and onset were said: the first question screens the vomiting's red flags
    assert replies[-1].ask is not None and replies[-1].ask.key == "screen.gi"
    assert replies[-1].ask.params["subject"] == "Rex"


def test_every_screen_is_asked_once_then_the_closing(policy: Policy) -> None:
    replies = play(
        policy,
        "my dog is not right",
        "dunno",
        "dunno",
        "dunno",
        "dunno",
        "dunno",
        "dunno",
        "dunno",
        "dunno",
        Event.digits("1"),
    )
    asked = [r.ask.key for r in replies if r.ask is not None]
    assert len(asked) == len(set(asked))
    assert {"screen.breathing", "screen.collapse", "screen.poison", "screen.belly",
            "screen.hurt"} <= set(asked)  # fmt: skip
    last = next(r for r in replies if r.conversation.done)
    assert "file_ticket" in last.actions
    assert [p.key for p in last.say] == ["callback_promise", "escalate_advice", "goodbye"]


def test_step_is_pure_and_the_record_is_json(policy: Policy) -> None:
    conv = new_conversation(
        channel="voice", conv_id="CA1", policy=policy, caller="+1555", now=NIGHT
    )
    before = conv.to_json()
    reply = step(conv, Event("start"), engine=load_engine(), policy=policy, now=NIGHT)
    assert conv.to_json() == before
    assert Conversation.from_json(reply.conversation.to_json()) == reply.conversation


def test_red_flag_in_any_turn_gives_er_guidance_in_that_reply(policy: Policy) -> None:
    replies = play(policy, "my cat Luna is sneezing", "and now she is having a seizure")
    last = replies[-1]
    assert [p.key for p in last.say] == ["er_guidance"]
    assert {"file_ticket", "send_er_sms", "offer_transfer"} <= set(last.actions)
    assert last.conversation.disposition == "emergency"


def test_sms_emergency_ends_without_a_transfer_offer(policy: Policy) -> None:
    last = play(policy, "my dog ate rat poison", channel="sms")[-1]
    assert last.conversation.done and last.ask is None
    assert [p.key for p in last.say] == ["er_guidance", "poison_control"]
    assert "(555) 555-0199" in prompts.render("er_guidance", last.say[0].params, channel="sms")


def test_asking_for_a_person_is_never_routine(policy: Policy) -> None:
    replies = play(policy, "I just want to talk to a person please")
    assert replies[-1].conversation.disposition != "routine"
    assert replies[-1].conversation.floor_reasons


def test_an_admin_call_is_screened_too_then_promised_a_callback(policy: Policy) -> None:
    # owners open with a refill or a booking and mention the danger only when asked
    replies = play(policy, "I'd like to book a vaccine appointment for my dog Max", *["no"] * 6)
    asked = [r.ask.key for r in replies if r.ask is not None]
    assert {"screen.breathing", "screen.collapse", "screen.poison", "screen.belly",
            "screen.hurt"} <= set(asked)  # fmt: skip
    assert asked[-1] == "confirm_callback"
    assert replies[-1].conversation.disposition == "routine"


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        ("yes", "my dog is limping a bit"),
        (Event.digits("1"), "my dog is limping a bit"),
        ("no his leg is swollen and he yelps", "no his leg is swollen and he yelps"),
    ],
)
def test_low_confidence_words_are_confirmed_before_use(
    policy: Policy, reply: str | Event, kept: str
) -> None:
    heard = play(policy, Event.speech("my dog is limping a bit", 0.3))[-1]
    assert heard.ask is not None and heard.ask.key == "confirm_heard"
    assert heard.conversation.caller_texts() == []
    after = play(policy, Event.speech("my dog is limping a bit", 0.3), reply)[-1]
    assert after.conversation.caller_texts() == [kept]


def test_a_no_to_the_confirmation_asks_again(policy: Policy) -> None:
    again = play(policy, Event.speech("my dog is limping a bit", 0.3), "no")[-1]
    assert [p.key for p in again.say] == ["try_again"]
    assert again.ask is not None and again.ask.key == "ask_open"
    assert again.conversation.caller_texts() == []
