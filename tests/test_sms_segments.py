"""The segment counter, and every SMS prompt of the line fitting in two segments."""

from __future__ import annotations

import pytest

from config.policy import Policies
from config.settings import DEFAULT_POLICY_DIR
from ivr import prompts
from ivr.conversation import closing_params
from ivr.flow_model import Prompt
from ivr.sms_flow import compose, maps_link
from ivr.sms_segments import fits, is_gsm7, segments


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters count twice
        ("€" * 81, 2),
        ("é" * 160, 1),  # in the GSM-7 basic set
        ("ü" * 70 + "ł", 2),  # ł is not GSM-7: UCS-2, 67 per part
        ("🐶" * 35, 1),  # an emoji is two UTF-16 units
        ("🐶" * 36, 2),
        ("a" * 130 + "💉", 2),  # one emoji makes the whole text UCS-2: 132 units
        ("a" * 133 + "💉", 3),
    ],
)
def test_segments(text: str, n: int) -> None:
    assert segments(text) == n


def test_gsm7() -> None:
    assert is_gsm7("Hello {world} £5 @ 10:00")
    assert not is_gsm7("Lola 🐶")
    assert not is_gsm7("“smart quotes”")


@pytest.fixture(scope="module")
def params() -> dict[str, str]:
    policy = Policies.load(DEFAULT_POLICY_DIR).default
    verdict = {"patient": {"name": "Maximilian"}, "symptoms": [{"code": "vomiting"}]}
    base = closing_params(verdict, policy, channel="sms", language="en-US")
    return {
        **base,
        "when": "on Wednesday at 12:00 PM",
        "last4": "0123",
        "heard": "x" * 40,
        "clinic_phone": "(555) 555-0100",
        "maps": maps_link(policy),
        "text": "",
    }


SMS_KEYS = [
    "greeting",
    "ask_open",
    "ask_species",
    "ask_onset",
    "ask_eating",
    "ask_toileting",
    "ask_behaviour",
    "ask_surgery",
    "reprompt",
    "ask_keypad",
    "try_again",
    "ack_person",
    "er_guidance",
    "poison_control",
    "callback_promise",
    "escalate_advice",
    "goodbye",
    "fallback_er",
    "fallback_callback",
    "unknown_number",
    "sms_help",
    "sms_start",
    "sms_photo",
    "sms_no_page",
]


@pytest.mark.parametrize("key", SMS_KEYS)
def test_each_sms_prompt_fits_in_one_segment_or_two(key: str, params: dict[str, str]) -> None:
    assert fits(prompts.render(key, params, channel="sms"), 2)


@pytest.mark.parametrize(
    "keys",
    [
        ["greeting", "ask_species"],
        ["er_guidance", "poison_control"],
        ["callback_promise", "escalate_advice", "goodbye"],
    ],
)
def test_whole_replies_fit_in_two_segments(keys: list[str], params: dict[str, str]) -> None:
    policy = Policies.load(DEFAULT_POLICY_DIR).default
    text = compose([Prompt(k, params) for k in keys], policy, "en-US")
    assert segments(text) <= 2, (len(text), text)
