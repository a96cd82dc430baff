"""Generalisation probes, round 4: failure classes of the third blind set (eval/holdout3.jsonl).

Every row is a NEW phrasing of a class, never a held-out text: the fixes are mechanisms
(continuation is not negation, mobility pain, fresh fights, quantity words are not bites,
same-span normal reports, a later normal stool), so they must hold on unseen wording.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


# --- 1. continuation / inability: a negated verb that itself describes the problem ---------------
@pytest.mark.parametrize(
    "text",
    [
        "his ear has been bleeding for about twenty minutes and it just isnt stopping",
        "my cats paw is bleeding and it still hasnt stopped after an hour",
        "she cut her leg and the bleeding keeps going no matter what i do",
        "the bleeding from his mouth started an hour ago and it doesnt stop",
        "my dogs tail is bleeding since dinner it wont stop",
    ],
)
def test_ongoing_bleeding_is_emergency(text: str) -> None:
    v = run(text)
    assert v.disposition == "emergency" and "bleeding" in v.red_flags, v.reasons


@pytest.mark.parametrize(
    "text",
    [
        "my dog wont put any weight on his back leg since the walk",
        "she is not using her left front leg at all tonight",
        "my cat isnt putting much weight on her paw since this afternoon",
        "hes not bearing any weight on that foot",
    ],
)
def test_not_putting_weight_is_limping(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent", v.reasons
    assert any(s.code == "limping" and not s.negated for s in v.symptoms), v.symptoms


# --- 2. back / mobility pain is urgent ------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "i think she hurt her back she is walking really stiff tonight",
        "my dog doesnt want to go up the stairs and is moving slowly",
        "hes reluctant to jump into the car and walks all hunched up",
        "my old boy put his back out and wont climb onto the bed",
        "she doesnt want to jump up on the sofa tonight",
        "he is hesitant to climb the stairs since this afternoon",
    ],
)
def test_back_and_mobility_pain_is_urgent(text: str) -> None:
    assert run(text).disposition == "urgent"


# --- 3. a fresh fight with a wound is trauma, a stopped bleed only resolves the bleeding ---
@pytest.mark.parametrize(
    "text",
    [
        "our two cats had a nasty fight an hour ago and one has a puncture on his leg",
        "the dogs got into a fight in the yard tonight, the little one has bite wounds on his neck "
        "but its not bleeding now",
        "my dogs were fighting over food and now one has a gash on her shoulder",
    ],
)
def test_fresh_fight_with_wound_is_trauma(text: str) -> None:
    v = run(text)
    assert v.disposition == "emergency" and "trauma" in v.red_flags, v.reasons


# --- 4. over-triage: quantity words, normal reports, honking ---
@pytest.mark.parametrize(
    "text",
    [
        "she tore her paw pad on a rock it bled a bit but stopped, its pretty deep looking",
        "my dog cut his leg on a fence it bled a little bit but stopped now it looks deep",
    ],
)
def test_a_bit_is_not_a_bite(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent" and "trauma" not in v.red_flags, v.reasons


@pytest.mark.parametrize(
    "text",
    [
        "my puppy swallowed a small rubber toy twenty minutes ago, no vomiting eating and "
        "drinking fine",
        "he gulped down a bottle cap this evening but no throwing up eating and drinking normally",
    ],
)
def test_object_with_normal_report_is_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent", v.reasons
    assert not any(s.code in ("not_eating", "not_drinking") and not s.negated for s in v.symptoms)


@pytest.mark.parametrize(
    "text",
    [
        "my dog has a honking cough since we got back from the kennel",
        "she makes a goose honk noise when she coughs since daycare",
    ],
)
def test_honking_cough_is_urgent_infectious(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent" and "infectious" in v.flags, v.reasons


# --- 5. single resolved episodes and coat questions are routine -----------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "my cat hacked up a hairball once tonight and has been fine since",
        "she brought up a hairball this morning, totally normal the rest of the day",
        "he had loose stool once this morning but his poop this evening looked normal",
        "my dog had diarrhea once today and the next poop was firm",
        "my dogs coat is dry and flaky, should i change his food",
        "her fur has gotten really dull lately, could it be the food",
    ],
)
def test_single_resolved_episode_or_coat_is_routine(text: str) -> None:
    v = run(text)
    assert v.disposition == "routine", v.reasons


# --- guards: the fixes do not hide real problems --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my dog had diarrhea twice today and now hes lethargic", "urgent"),
        ("hes been vomiting all day and cant keep water down", "emergency"),
        ("my dog seems dull and tired today, not himself", "urgent"),
        ("he swallowed a sock and has vomited twice", "emergency"),
        ("my dog is coughing and struggling to breathe", "emergency"),
        ("my dog got in a scrap at the park on tuesday and the puncture is now swollen", "urgent"),
        ("the cats had a fight this evening but there are no wounds on either", "routine"),
    ],
)
def test_guards(text: str, level: str) -> None:
    assert run(text).disposition == level
