"""The voice benchmark's scripted calls are what it claims: five answers, no question left over,
a routine callback promise at the end, and a ticket with what the caller said."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from ivr import prompts
from nightdesk.bench_voice import script_for
from nightdesk.services import Services
from tests.test_voice_calls import NIGHT, Call, tickets


@pytest.fixture
def call(app: Flask, signed_post: Callable[..., Any]) -> Call:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return Call(signed_post, "CA" + uuid.uuid4().hex)


@pytest.mark.parametrize("i", [0, 1, 7, 42, 101])
def test_a_scripted_call_screens_the_red_flags_then_promises_a_callback(
    i: int, call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    answers = script_for(i)
    assert len(answers) == 8
    name = answers[0].split()[2]
    asked = [call.start().says[-1]]
    for words in answers[:-1]:
        asked.append(call.say(words).says[-1])
    closing = call.press(answers[-1])
    assert closing.gather is None and "call you back" in closing.text
    screens = {
        prompts.render(f"screen.{s}", {"subject": name})
        for s in ("breathing", "collapse", "poison", "belly", "hurt")
    }
    assert asked[0] == prompts.render("ask_open")
    assert set(asked[1:6]) == screens  # every red flag screened, each once
    assert asked[6:] == [
        prompts.render("ask_onset", {"subject": name}),
        prompts.render("confirm_callback", {"last4": call.caller[-4:]}),
    ]
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "routine" and ticket.patient.get("name") == name


def test_callers_word_their_calls_differently() -> None:
    firsts = {script_for(i)[0] for i in range(150)}
    assert len(firsts) > 100
