"""Generalisation probes, round 3: failure classes of the second blind set (eval/holdout2.jsonl).

Every row is a NEW phrasing of a class, never a held-out text: the fixes are mechanisms
(concept vocabularies, scope, a safety floor), so they must hold on wording not seen anywhere.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


# --- A/B. emergencies described in plain words -------------------------------------------------
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # labour: a pup or kitten visible / stuck in the birth canal
        ("theres a kitten half out of her and it wont come the rest of the way", "labour"),
        ("i can see a tail hanging out of her back end and shes been pushing an hour", "labour"),
        # venom: bites with fang marks, snake, spider
        ("a rattlesnake got my dog on the leg an hour ago", "toxin"),
        (
            "something bit her paw in the garden and it has puncture marks and is swelling up fast",
            "toxin",
        ),
        # chocolate and raisins by product name
        ("he ate a bunch of kitkats from the candy bowl", "toxin"),
        ("my pup got into the box of hot cocoa packets", "toxin"),
        ("she ate a snack box of raisins from my sons lunch", "toxin"),
        # seizure activity described
        ("she is lying on her side paddling her legs and wont respond", "neuro"),
        ("my dog went stiff and started twitching all over and drooling", "neuro"),
        # bloat: unproductive retching with restlessness
        (
            "my great dane keeps trying to throw up but only slime comes out and he cant settle",
            "severe_gi",
        ),
        # attack with wounds
        ("a coyote grabbed my cat and theres puncture wounds on her side", "trauma"),
        # foreign body with constipation / lethargy
        (
            "my dog swallowed a rubber ball and hasnt pooped since and is really tired",
            "foreign_body",
        ),
        ("she ate a piece of rope toy and now she is lethargic", "foreign_body"),
        # linear foreign body: string/thread from the rear, or bones with signs
        ("theres thread coming out of my cats bottom and she is vomiting", "foreign_body"),
        ("he ate a whole rack of rib bones and now he is retching", "foreign_body"),
        # severe abdominal pain
        ("she keeps stretching in the prayer position and whimpering", "severe_pain"),
        # bleeding that will not stop / soaks through
        ("he cut his pad and the blood has soaked through two towels", "bleeding"),
        ("her ear has been pouring blood for twenty minutes and i cant stop it", "bleeding"),
        # blood in vomit described
        ("her vomit looks like coffee grounds", "severe_gi"),
        # urinary obstruction, any species, short answers
        ("my rabbit keeps squatting to pee and barely a drop comes out", "urinary_obstruction"),
        (
            "my male cat keeps going to the litter box and only a few drops come out",
            "urinary_obstruction",
        ),
        # breathing rate, or worse than usual on a chronic condition
        ("my cat is breathing 60 breaths a minute while sleeping", "breathing"),
        # eye out of the socket
        ("my pugs eye is bulging out and she cant blink", "eye_trauma"),
    ],
)
def test_emergency_described(text: str, flag: str) -> None:
    v = run(text)
    assert v.disposition == "emergency", (text, v.reasons)
    assert flag in v.red_flags, (text, v.red_flags, v.reasons)


def test_short_answer_keeps_trying_to_pee() -> None:
    v = run("its my cat, oliver, male, 5", "eating no", "peeing no he just keeps trying")
    assert v.disposition == "emergency", v.reasons


# --- C. urgent calls that must never be routine --------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "after every meal she brings the food right back up without heaving",
        "his heart pills ran out this morning and the pharmacy is closed",
        "we are out of her seizure medication, last dose was this morning",
        "we used the last of the insulin tonight",
        "could somebody please ring me back tonight, my dog has a lump",
        "he has been coughing on and off for three days",
        "she keeps peeing little bits and its kind of pinkish",
        "its the um he he / i dont / sorry its",
    ],
)
def test_urgent_not_routine(text: str) -> None:
    v = run(*text.split(" / "))
    assert v.disposition == "urgent", (text, v.reasons)


# --- D. over-triage guards ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("just wondering, if my dog swallowed a sock would he need an operation", "routine"),
        ("her fits are under control with the meds, none since summer, need a refill", "routine"),
        ("his breath stinks, can we schedule a teeth cleaning", "routine"),
        ("vomited twice and had loose stool once, no blood, still playful", "urgent"),
        ("he had one seizure last friday, vet checked him, fine since", "urgent"),
        ("she ate a grape no wait it was a blueberry, we dont have grapes", "routine"),
        ("my sisters dog ate chocolate at easter, what else is toxic for dogs", "routine"),
        ("no coughing no sneezing hes eating fine just booking his vaccines", "routine"),
        ("she threw up once this morning and has been normal since", "routine"),
        ("my gecko has a bit of stuck shed on his tail", "routine"),
    ],
)
def test_not_over_triaged(text: str, level: str) -> None:
    v = run(text)
    assert v.disposition == level, (text, v.reasons)


# --- E. the safety floor: sick pet, unmapped content -> urgent -----------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "something is really wrong with my dog, he is just not right tonight",
        "my cat is acting weird and I am scared",
        "my rabbit seems off, his ears feel cold and he is grinding his teeth",
    ],
)
def test_floor_unclear_sick_pet_is_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition != "routine", (text, v.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "can i book a nail trim for my dog next week",
        "i need a refill of his allergy pills",
        "what time do you open on saturday",
        "my dog has been scratching his ears a bit",
    ],
)
def test_floor_leaves_routine_matters(text: str) -> None:
    assert run(text).disposition == "routine"


@pytest.mark.parametrize(
    "text",
    [
        "my rabbit is grinding his teeth and sitting in the corner",
        "my dog keeps circling and wobbling",
        "my cat keeps yowling at the wall tonight",
    ],
)
def test_floor_unknown_words_about_the_pet(text: str) -> None:
    v = run(text)
    assert v.disposition != "routine", (text, v.reasons)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my parrot is plucking his feathers again, had it for months", "routine"),
        ("my dog ran out the door and ate a chocolate bar", "emergency"),
        ("he ate the whole bottle of my advil, the bottle is empty", "emergency"),
        ("my cat chatters her teeth at the birds", "routine"),
        ("is grinding teeth in a rabbit bad?", "routine"),
        ("my neighbours dog keeps yowling", "routine"),
    ],
)
def test_new_vocabulary_guards(text: str, level: str) -> None:
    v = run(text)
    assert v.disposition == level, (text, v.reasons)
