"""ConText modifiers: negation scope, traps, hypotheticals, history, other animals, corrections."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


def states(v: Verdict) -> dict[str, bool]:
    """code -> negated."""
    return {s.code: s.negated for s in v.symptoms}


@pytest.mark.parametrize(
    ("text", "code", "negated"),
    [
        ("no vomiting and no diarrhea", "vomiting", True),
        ("no vomiting and no diarrhea", "diarrhea", True),
        ("no blood but he is vomiting", "vomiting", False),
        ("no blood but he is vomiting", "bleeding", True),
        ("she hasnt vomited at all", "vomiting", True),
        ("there is no blood in the vomit and he is coughing", "coughing", False),
        ("he didnt throw up, he is limping though", "limping", False),
        ("he didnt throw up, he is limping though", "vomiting", True),
        ("not coughing however she is sneezing a lot", "sneezing", False),
        ("denies nothing, no limping, no swelling, no diarrhea whatsoever", "swelling", True),
        ("NO VOMITING", "vomiting", True),
        ("there is no blood in the vomit", "blood_in_vomit", True),
        ("there is no blood in the vomit", "vomiting", False),
        # unpunctuated speech: a new subject ends the negation
        ("no vomiting he is bleeding from his leg", "bleeding", False),
        ("no vomiting he is bleeding from his leg", "vomiting", True),
        ("i dont think he has diarrhea", "diarrhea", True),
        # pseudo-triggers: "can't stop", "not sure" do not negate
        ("he cant stop vomiting", "vomiting", False),
        ("not sure why but she is limping", "limping", False),
    ],
)
def test_negation_scope(text: str, code: str, negated: bool) -> None:
    assert states(run(text)).get(code) is negated


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my dog is not eating", "not_eating"),
        ("he won't eat anything", "not_eating"),
        ("she hasn't eaten since tuesday", "not_eating"),
        ("hasnt eaten in 2 days", "not_eating"),
        ("my cat can't pee", "unable_to_urinate"),
        ("he keeps trying and nothing comes out", "unable_to_urinate"),
        ("she can't stand up", "unable_to_stand"),
        ("he won't get up", "unable_to_stand"),
        ("my dog is not drinking", "not_drinking"),
        ("he can't breathe", "breathing_difficulty"),
        ("cant breath", "breathing_difficulty"),
    ],
)
def test_negation_traps_are_symptoms(text: str, code: str) -> None:
    assert states(run(text)).get(code) is False


@pytest.mark.parametrize(
    "text",
    [
        "what if he eats chocolate",
        "is chocolate toxic to dogs",
        "can dogs eat grapes",
        "how long after eating grapes would a dog get sick, just asking",
        "is it safe for cats to be around lilies",
    ],
)
def test_hypothetical_exposures_do_not_count(text: str) -> None:
    v = run(text)
    assert v.exposures == [] and v.disposition == "routine"


def test_unsure_if_still_counts_as_exposure() -> None:
    v = run("im not sure if he ate the chocolate, there are wrappers everywhere")
    assert v.disposition == "emergency" and v.red_flags == ["toxin"]


@pytest.mark.parametrize(
    ("text", "disposition"),
    [
        ("he had a seizure two years ago, he's fine now, i need his rabies shot", "routine"),
        ("she had a seizure last year but has been fine since", "routine"),
        ("she had a seizure on tuesday, just the one, totally normal since", "urgent"),
        ("he had a seizure an hour ago and seems fine now", "emergency"),
        ("threw up once this morning and has been fine since", "routine"),
        ("she threw up once yesterday but she's completely fine all day today", "routine"),
    ],
)
def test_history_and_resolved(text: str, disposition: str) -> None:
    assert run(text).disposition == disposition


@pytest.mark.parametrize(
    ("text", "disposition"),
    [
        (
            "my neighbour's dog was hit by a car, mine is fine, just want to book his shots",
            "routine",
        ),
        ("my friend's cat ate a lily last week, should i get rid of mine", "routine"),
        ("my son cut his finger, the dog needs his nails done", "routine"),
        ("my husband's adderall fell on the floor and the dog ate it", "emergency"),
        ("the other dog bit him and he has puncture wounds and is bleeding a lot", "emergency"),
    ],
)
def test_other_animals_and_people(text: str, disposition: str) -> None:
    assert run(text).disposition == disposition


def test_red_flag_in_a_late_turn_counts() -> None:
    v = run("my dog is acting a bit off", "dog, rex", "since this afternoon", "yes he ate")
    assert v.disposition == "urgent"
    v = run(
        "my dog is acting a bit off", "dog, rex", "since this afternoon", "now his gums are white"
    )
    assert v.disposition == "emergency" and "breathing" in v.red_flags


def test_later_no_corrects_an_unsure_mention() -> None:
    v = run(
        "i think there might be blood in her poop", "cat, biscuit", "no, no blood, it was food dye"
    )
    assert states(v)["bleeding"] is True
    assert "blood_in_stool" not in [s.code for s in v.symptoms if not s.negated]


def test_later_no_does_not_undo_a_clear_red_flag() -> None:
    v = run("he's bleeding a lot from his leg and it won't stop", "no, no vomiting")
    assert v.disposition == "emergency" and v.red_flags == ["bleeding"]


def test_denied_then_confirmed_exposure() -> None:
    v = run("he didn't eat the chocolate i think", "no wait, he definitely ate some of it")
    assert v.red_flags == ["toxin"]


def test_denied_exposure_is_not_a_red_flag() -> None:
    v = run("dog knocked over the box of chocolates but didnt eat any, i counted them all")
    assert v.exposures == [] and v.disposition == "routine"


@pytest.mark.parametrize(
    "answer", ["yes", "no", "about 2 hours", "Bella", "a cat", "", "   ", "😭"]
)
def test_short_answers_do_not_break_anything(answer: str) -> None:
    v = run("my dog has diarrhea", answer)
    assert v.disposition == "urgent"
    assert isinstance(v.to_dict()["reasons"], list)
