"""Generalisation probes, round 5: failure classes of the fourth blind set (eval/holdout4.jsonl).

Every row is a NEW phrasing of a class, never a held-out text: the fixes are mechanisms
(eye + displacement or penetration, ongoing bleeding, timed straining in labour, dog flea
products on a cat, a stable condition under a specialist, denied exposures, not peeing without
straining, a single resolved vomit told over several turns).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


# --- 1. eye trauma: an eye word + displacement, or + a penetrating object -------------------------
@pytest.mark.parametrize(
    "text",
    [
        "my pug got into a scuffle and his eye is bulging forward and wont go back",
        "her eyeball looks like its coming out of the socket",
        "his eye is protruding way further than the other one",
        "there is a porcupine quill in my dogs eye",
        "a splinter went into her eye when she ran through the bushes",
        "something is in his eye and it wont come out he keeps pawing",
        "the cat scratched him and now theres a claw stuck in his eyeball",
        "her eye popped way out after the other dog grabbed her",
        "her eye looks like its about to pop out",
    ],
)
def test_eye_trauma_is_emergency(text: str) -> None:
    v = run(text)
    assert v.disposition == "emergency" and "eye_trauma" in v.red_flags, v.reasons


# --- 2. ongoing bleeding across turns -------------------------------------------------------------
@pytest.mark.parametrize(
    "turns",
    [
        ("my dog caught her ear on the crate", "it keeps on bleeding every time she moves"),
        ("he split his ear flap on a branch", "the blood is spraying all over the house"),
        ("she nicked her ear tip", "we cant get it to stop bleeding"),
    ],
)
def test_ongoing_bleeding_across_turns_is_emergency(turns: tuple[str, ...]) -> None:
    v = run(*turns)
    assert v.disposition == "emergency" and "bleeding" in v.red_flags, v.reasons


# --- 3. labour: birthing + straining + a duration of 30 min or more -------------------------------
@pytest.mark.parametrize(
    "turns",
    [
        (
            "my cat is having her kittens",
            "she has been straining for forty five minutes",
            "nothing",
        ),
        ("our shih tzu is whelping", "contractions started around nine", "its been over an hour"),
        ("my dog went into labour tonight", "shes pushing hard and there is no puppy yet"),
        ("the puppies are coming", "she has been pushing for half an hour with nothing"),
    ],
)
def test_timed_straining_in_labour_is_emergency(turns: tuple[str, ...]) -> None:
    v = run(*turns)
    assert v.disposition == "emergency" and "labour" in v.red_flags, v.reasons


# --- 4. a dog flea product on a cat, any wording --------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "i grabbed the wrong box and put the dog one on my kitten",
        "put some of the flea drops meant for the dog on my cat",
        "my cat has the big dogs flea collar on",
        "i used my dogs spot on for fleas on the cat and now shes twitching",
        "i used my dogs revolution on the kitten",
    ],
)
def test_dog_flea_product_on_cat_is_toxin(text: str) -> None:
    v = run(text)
    assert v.disposition == "emergency" and "toxin" in v.red_flags, v.reasons


# --- 5. a stable known condition under a specialist + a minor new issue -> urgent ---------------
@pytest.mark.parametrize(
    "text",
    [
        "the cardiologist saw him tuesday for his murmur hes stable but now has a dry crusty nose",
        "she sees an oncologist for her lymph nodes shes the same but has a bit of dandruff",
        "the neurology team treats his wobbly walk its no worse but he has a sore on his hock",
    ],
)
def test_stable_condition_under_specialist_is_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent", v.reasons


# --- 6. over-triage -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "my dog snatched the box of raisins but i took it off him the box was still sealed",
        "she grabbed a bag of chocolate chips i pulled it away it was unopened she didnt get any",
        "he picked up a grape off the floor but i got it out of his mouth before he swallowed it",
        "the puppy had the ibuprofen bottle but the cap was still on and all the pills are there",
    ],
)
def test_denied_exposure_is_not_toxin(text: str) -> None:
    v = run(text)
    assert v.disposition != "emergency" and "toxin" not in v.red_flags, v.reasons


@pytest.mark.parametrize(
    "text",
    [
        "my male cat hasnt urinated since last night but he isnt straining at all and hes eating",
        "no pee in the litter box since yesterday morning hes not straining and hes acting normal",
    ],
)
def test_not_peeing_without_straining_is_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent", v.reasons


@pytest.mark.parametrize(
    "turns",
    [
        (
            "my cat vomited",
            "shes a tabby named mittens",
            "only once right after eating",
            "shes completely fine now playing",
        ),
        ("he puked", "just one time he gulped his food", "hes back to normal now"),
    ],
)
def test_single_resolved_vomit_over_turns_is_routine(turns: tuple[str, ...]) -> None:
    v = run(*turns)
    assert v.disposition == "routine", v.reasons


# --- guards ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "turns",
    [
        ("my dog ate a whole chocolate bar", "i got the wrapper off him"),
        ("my cat licked the lily pollen off her fur", "she didnt eat any of the leaves"),
        ("the neurologist saw her last week and now her back legs suddenly stopped working",),
        ("my male cat keeps going in and out of the litter box straining and nothing comes out",),
        ("my cats eye is a bit red and watery",),
    ],
)
def test_guards(turns: tuple[str, ...]) -> None:
    v = run(*turns)
    expected = "urgent" if "red and watery" in turns[0] else "emergency"
    assert v.disposition == expected, v.reasons


@pytest.mark.parametrize(
    "text",
    [
        "she is in labour for about an hour now had 3 pups so far all fine and nursing",
        "whats the difference between the flea collar and the chewable one for dogs",
        "he has a red bulging lump in the corner of his eye the eye itself looks normal",
    ],
)
def test_no_emergency_without_the_whole_combination(text: str) -> None:
    assert run(text).disposition != "emergency"
