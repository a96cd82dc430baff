"""The simulated owner of `nightdesk eval calls`: questions read by topic, answers from facts."""

from __future__ import annotations

import pytest

from nightdesk.sim_owner import (
    DECLINE,
    NOT_SURE,
    SimOwner,
    answer_facts,
    asks_something,
    is_negative,
    question_part,
    topics_of,
)

FACTS: dict[str, str | None] = {
    "species": "dog",
    "name": "Biscuit",
    "onset": "a couple hours ago",
    "eating": "he won't eat anything",
    "toileting": "he peed fine",
    "behaviour": "he's restless, pacing around",
    "surgery": "no",
    "breathing": "he's panting a lot",
    "collapse_or_seizure": "no",
    "bleeding": "no",
    "toxin_or_object": "nope",
    "urination_straining": "no",
    "belly": "his belly looks big and tight and he keeps trying to throw up",
    "pain": "he groans if i touch his belly",
    "injury": None,
}


@pytest.mark.parametrize(
    ("question", "topics"),
    [
        ("What kind of animal is your pet, and what is their name?", ["species", "name"]),
        ("When did this start?", ["onset"]),
        ("How long has this been going on?", ["onset"]),
        ("Is Biscuit eating and drinking normally?", ["eating"]),
        ("Any change in appetite or water intake?", ["eating"]),
        ("Is Biscuit peeing and pooping normally?", ["toileting"]),
        ("Any diarrhea, or trouble with the litter box?", ["toileting"]),
        ("How is he acting? Alert and moving around, or quiet and weak?", ["behaviour"]),
        ("Is she behaving like herself?", ["behaviour"]),
        ("Any surgery or a procedure in the last two weeks?", ["surgery"]),
        ("Are the stitches from the operation okay?", ["surgery"]),
        ("Is he breathing normally? What colour are his gums?", ["breathing"]),
        ("Has she collapsed, had a seizure, or been unable to stand?", ["collapse_or_seizure"]),
        ("Is there any bleeding?", ["bleeding"]),
        ("Could he have swallowed something, or eaten anything toxic?", ["toxin_or_object"]),
        ("Did she get into chocolate, medicine or a plant?", ["toxin_or_object"]),
        ("Is his belly swollen, and is he retching with nothing coming up?", ["belly"]),
        ("Does it hurt when you touch him?", ["pain"]),
        ("Was he hit by a car, or did he fall?", ["injury"]),
        # overlaps, resolved
        ("Is he straining to pee?", ["urination_straining"]),
        ("Is he peeing and pooping normally? Any straining?", ["toileting", "urination_straining"]),
        ("Has she eaten anything she shouldn't?", ["toxin_or_object"]),
        ("Did he eat something toxic?", ["toxin_or_object"]),
        (
            "Is she eating normally, and has she gotten into anything?",
            ["eating", "toxin_or_object"],
        ),
        ("Any blood in the stool?", ["bleeding"]),
        # several topics: in the order the question names them
        (
            "Any trouble breathing, bleeding, or collapse?",
            ["breathing", "bleeding", "collapse_or_seizure"],
        ),
        ("Does he cry when you touch his belly?", ["pain", "belly"]),
        # cues match whole words at their start, not inside other words
        ("Do you understand? Is the carpet wet, and is the water bowl full?", ["eating"]),
        ("Thank you for calling.", []),
    ],
)
def test_topics_of(question: str, topics: list[str]) -> None:
    assert topics_of(question) == topics


@pytest.mark.parametrize(
    ("fact", "negative"),
    [
        ("no", True),
        ("Nope, nothing", True),
        ("none that i know of", True),
        ("not really", True),
        ("nothing like that", True),
        ("no no she just flopped down, she's fine", True),
        ("now that you say it his belly looks big", False),
        ("he's panting a lot", False),
        ("notably worse", False),
    ],
)
def test_is_negative(fact: str, negative: bool) -> None:
    assert is_negative(fact) is negative


def test_answer_facts_joins_first_three_in_order_and_dedupes() -> None:
    assert answer_facts(["species", "name"], FACTS) == ("dog, Biscuit", False)
    four = ["breathing", "eating", "belly", "pain"]
    assert answer_facts(four, FACTS) == (
        "he's panting a lot, he won't eat anything, "
        "his belly looks big and tight and he keeps trying to throw up",
        False,
    )
    same = {"breathing": "she's fine", "behaviour": "She's fine"}
    assert answer_facts(["breathing", "behaviour"], same) == ("she's fine", False)


def test_all_negative_answers_are_one_no() -> None:
    assert answer_facts(["bleeding", "collapse_or_seizure", "toxin_or_object"], FACTS) == (
        "no",
        False,
    )
    assert answer_facts(["bleeding", "breathing"], FACTS) == ("no, he's panting a lot", False)


def test_a_null_or_missing_fact_is_not_sure() -> None:
    assert answer_facts(["injury"], FACTS) == (NOT_SURE, True)
    assert answer_facts(["onset"], {"onset": None}) == (NOT_SURE, True)
    assert answer_facts(["onset"], {}) == (NOT_SURE, True)
    assert answer_facts(["species", "injury"], FACTS) == (f"dog, {NOT_SURE}", True)


def test_owner_says_the_opening_first_then_answers_by_topic() -> None:
    owner = SimOwner("my dog biscuit threw up once", FACTS)
    first = owner.answer("In your own words, tell me what's going on with your pet.")
    assert (first.text, first.kind) == ("my dog biscuit threw up once", "opening")
    # even if the first question is a specific one, the opening answers it
    assert SimOwner("opening words", FACTS).answer("When did this start?").text == "opening words"
    onset = owner.answer("When did this start?")
    assert (onset.text, onset.kind, onset.topics) == ("a couple hours ago", "facts", ("onset",))
    assert owner.answer("Has he had surgery in the last two weeks?").text == "no"
    assert owner.turns == 3 and owner.not_sure == 0


def test_owner_counts_not_sure_answers() -> None:
    owner = SimOwner("opening", FACTS)
    owner.answer("")
    assert owner.answer("Was there an accident or a fight?").text == NOT_SURE  # null fact
    unmapped = owner.answer("What is the weather like where you are?")
    assert (unmapped.text, unmapped.kind) == (NOT_SURE, "unmapped")
    assert owner.not_sure == 2


@pytest.mark.parametrize(
    ("question", "said", "kind"),
    [
        ("I heard: he ate chocolate. Is that right? Say yes or press 1.", "yes", "confirm"),
        ("Did you mean: she is bleeding? Reply YES or NO.", "yes", "confirm"),
        (
            "Should the clinic call you back at the number ending in 0123? Say yes or press 1.",
            "yes",
            "callback",
        ),
        ("Should we call you back at the number ending in 0123? Reply YES.", "yes", "callback"),
        ("To be connected to Riverside now, press 1 or say connect.", DECLINE, "decline"),
        ("Would you like me to transfer you to the emergency hospital?", DECLINE, "decline"),
    ],
)
def test_owner_confirms_accepts_callback_and_declines_transfer(
    question: str, said: str, kind: str
) -> None:
    owner = SimOwner("opening", FACTS)
    owner.answer("")
    answer = owner.answer(question)
    assert (answer.text, answer.kind) == (said, kind)


def test_an_sms_reply_is_read_for_its_question_only() -> None:
    reply = "Maple Street is closed now, but I can help. When did it start?"
    assert question_part(reply) == "When did it start?"
    owner = SimOwner("opening", FACTS)
    owner.answer("")
    # "the team isn't in" statements around the question are not questions
    said = owner.answer("The team isn't in now; I've marked this as a priority. Any surgery?")
    assert said.text == "no" and said.topics == ("surgery",)


def test_a_question_about_that_reads_the_statement_before_it() -> None:
    owner = SimOwner("opening", FACTS)
    owner.answer("")
    said = owner.answer('You mentioned "his belly". Is that happening now, over and over?')
    assert said.topics == ("belly",) and said.text == FACTS["belly"]


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("What kind of animal is it, and its name?", True),
        ("Reply 1 if your pet can't breathe. Reply 2 otherwise.", True),
        ("This sounds like an emergency. Go to Riverside now: 1200 River Road.", False),
        ("Go to Riverside now. Map: https://maps.google.com/?q=1200%20River%20Road", False),
        ("Maple Street will call you back tomorrow at 8:30 AM. Thank you.", False),
    ],
)
def test_asks_something(text: str, asks: bool) -> None:
    assert asks_something(text) is asks
