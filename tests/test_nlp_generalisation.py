"""Generalisation probes: concept classes in plain words, written independently of any eval set.

Each row is a NEW phrasing of a failure class found on a blind held-out set (see the issue): the
fix must be a mechanism (concept vocabularies, scope, modifiers), not these exact sentences.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


# --- 1. signs described in plain words, concept classes -----------------------------------------
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # disorientation described
        ("he keeps bumping into the furniture and just stares at nothing", "neuro"),
        ("my cat is pressing her head against the wall in the corner", "neuro"),
        ("she doesnt seem to recognise me tonight, wandering around lost", "neuro"),
        ("my dog is bumping into things and acting drunk", "neuro"),
        # vomiting synonyms + swallowed object
        ("he swallowed a peach pit this afternoon and now hes hurling", "foreign_body"),
        ("she gulped down a hair tie and keeps barfing", "foreign_body"),
        ("my lab ate a sock and has been upchucking all evening", "foreign_body"),
        # crush / impact
        ("my daughter accidentally slammed the car door on his tail and leg", "trauma"),
        ("someone stepped on my kitten and now she wont move", "trauma"),
        ("the recliner came down on my chihuahua", "trauma"),
        # weapons
        ("i think a kid hit him with a pellet gun, theres a small hole", "trauma"),
        ("my cat came home with an arrow in her side", "trauma"),
        # labour timing
        ("shes whelping, she had two pups but its been 4 hours with nothing more", "labour"),
        ("my cat is in labor and pushing for an hour with no kitten", "labour"),
        # antifreeze family
        ("he was lapping up coolant that leaked under the truck", "toxin"),
        ("my dog drank some sweet green liquid from a jug in the shed", "toxin"),
        # dog flea products on a cat
        ("i used my dogs flea and tick spot on for my kitten", "toxin"),
        # attack with wounds
        ("a big dog grabbed my cat by the neck, there are puncture holes", "trauma"),
        ("the neighbours husky got hold of my rabbit and tore her skin", "trauma"),
        # heat exposure + panting
        (
            "he was in the conservatory all afternoon and its like an oven, he is panting hard",
            "heatstroke",
        ),
        ("we went on a long hike in the heat and now shes panting and stumbling", "heatstroke"),
    ],
)
def test_concepts_in_plain_words(text: str, flag: str) -> None:
    v = run(text)
    assert v.disposition == "emergency", (text, v.reasons)
    assert flag in v.red_flags, (text, v.red_flags)


@pytest.mark.parametrize(
    "text",
    [
        "he keeps bringing up his kibble right after eating, it just slides back out",
        "she regurgitates undigested food a few minutes after meals",
    ],
)
def test_regurgitation_is_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition in ("urgent", "emergency"), (text, v.reasons)


def test_flea_products_on_cat_are_not_itching() -> None:
    v = run("i accidentally put the dog flea drops on my cat and now she is drooling")
    assert "toxin" in v.red_flags
    assert "itching" not in {s.code for s in v.symptoms if not s.negated}


# --- 2. gum / tongue colour, hedged or split ----------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "his gums seem sort of a pale whitish grey",
        "her tongue is going kind of bluish purple",
        "lips look a bit purplish on my cat",
        "the inside of his mouth looks really greyish",
        "grey looking gums on my old dog",
    ],
)
def test_gum_colour_hedged(text: str) -> None:
    assert "breathing" in run(text).red_flags, text


# --- 3. inability is a symptom, not a negation --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("she cant really seem to get her breath", "breathing"),
        ("he is unable to breathe properly", "breathing"),
        ("my dog doesnt seem to be able to stand up", "neuro"),
        ("my cat is breathing with her mouth wide open", "breathing"),
        ("the cat is panting like a dog after playing", "breathing"),
    ],
)
def test_inability_asserts(text: str, flag: str) -> None:
    v = run(text)
    assert flag in v.red_flags, (text, v.reasons, v.symptoms)


def test_known_condition_worse_than_ever() -> None:
    v = run("her heart cough is worse than its ever been tonight")
    assert v.disposition in ("urgent", "emergency")


# --- 4. history scope ends at contrast / new time anchors ---------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "he had 1 seizure last year and was totally fine but tonight he had another one",
        "she seized once a few years back, fine since, now she is doing it again",
        "years ago he had a fit, this time he had 3 back to back",
    ],
)
def test_history_scope_ends(text: str) -> None:
    v = run(text)
    assert "neuro" in v.red_flags, (text, v.reasons)


# --- 5. past / hypothetical exposures are filtered ----------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "when she was a puppy she ate some raisins and was fine, are raisins really that bad",
        "my last dog got into chocolate years ago, what should i keep away from the new one",
        "should i keep lilies out of the house with my cat",
    ],
)
def test_past_or_hypothetical_exposure_is_not_emergency(text: str) -> None:
    v = run(text)
    assert v.disposition != "emergency", (text, v.reasons)


# --- 6. 'stuck' needs a birthing context ---------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "there is a burr stuck in his paw and he keeps licking it",
        "my cat got stuck behind the dryer for an hour, shes fine now",
        "a foxtail is stuck between her toes",
    ],
)
def test_stuck_without_birth_is_not_labour(text: str) -> None:
    v = run(text)
    assert "labour" not in v.red_flags, (text, v.reasons)


def test_stuck_puppy_in_labour() -> None:
    assert "labour" in run("she is giving birth and a puppy is stuck halfway out").red_flags


# --- 7. 'nothing comes out' attaches to the nearest verb ----------------------------------------
@pytest.mark.parametrize(
    ("text", "flag", "not_flag"),
    [
        ("he keeps trying to barf but nothing comes out and his belly is tight", "severe_gi",
         "urinary_obstruction"),
        ("my tom cat goes to the litter box over and over and nothing comes out",
         "urinary_obstruction", None),
    ],
)  # fmt: skip
def test_nothing_comes_out_context(text: str, flag: str, not_flag: str | None) -> None:
    v = run(text)
    assert flag in v.red_flags, (text, v.reasons)
    if not_flag:
        assert not_flag not in v.red_flags, (text, v.red_flags)


# --- 8. known condition under care ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "his hind legs have been paralysed since the spinal injury, the specialist saw him monday,"
        " no change, i just have a question about his pills",
        "she is partially paralyzed from ivdd, the neuro vet is managing it, about the same",
    ],
)
def test_known_condition_stable_is_urgent(text: str) -> None:
    assert run(text).disposition == "urgent", text


# --- 9. ASR sound-alikes and misspellings ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("she had 2 seize hers this evening", "neuro"),
        ("my dog is having a seazure right now", "neuro"),
        ("he has had direah like 8 times tonight", "severe_gi"),
        ("she is having trouble breething", "breathing"),
        ("my cat colapsed in the kitchen", "neuro"),
    ],
)
def test_asr_and_typos(text: str, flag: str) -> None:
    assert flag in run(text).red_flags, (text, run(text).reasons)


# --- 10. implied swallowing ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "half of his rope toy is missing and he keeps throwing up",
        "the ribbon from the present is gone and she is vomiting",
        "he chewed up a tennis ball and some of it is missing, now he wont eat",
    ],
)
def test_implied_swallowing(text: str) -> None:
    assert "foreign_body" in run(text).red_flags, (text, run(text).reasons)


# --- 11. species is the caller's animal ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "species"),
    [
        ("i used the flea stuff for our dog on my kitten", "cat"),
        ("my 2 yorkies got into the trash", "dog"),
        ("both my shih tzus are coughing", "dog"),
    ],
)
def test_species_is_callers_pet(text: str, species: str) -> None:
    assert run(text).species == species, text


# --- 12. interjection 'no' does not negate --------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("oh no oh no, bella is seizing on the floor", "neuro"),
        ("no no no, he collapsed in the yard", "neuro"),
        ("no, its worse, he is having a seizure", "neuro"),
        ("oh no my cat cant breathe", "breathing"),
    ],
)
def test_interjection_no(text: str, flag: str) -> None:
    assert flag in run(text).red_flags, (text, run(text).reasons)


# --- general re-checks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("the bleeding has not stopped, its still pouring", "emergency"),
        ("he vomited once this morning and not anymore, eating fine", "routine"),
        ("is this an emergency? he ate a little bit of his food", "urgent"),
        ("i need to speak to a person about my dog", "urgent"),
    ],
)
def test_general_rechecks(text: str, level: str) -> None:
    v = run(text)
    assert v.disposition == level, (text, v.reasons)


# --- the concept vocabularies must not over-triage everyday words --------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "he is a gun dog, need his vaccines",
        "we closed the door on the puppy crate for the night, he is crying, is that normal",
        "she loves the sunroom, can i book her nail trim",
        "what if he ever gets into antifreeze",
        "there is a burr stuck in her fur, can i book a groom",
    ],
)
def test_concepts_do_not_over_triage(text: str) -> None:
    assert run(text).disposition != "emergency", (text, run(text).reasons)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("what if she gets into the rat poison", "routine"),
        ("is it bad if he eats grapes", "routine"),
        ("he has eaten half a bar of dark chocolate", "emergency"),
        ("she ate a grape, is that bad", "emergency"),
    ],
)
def test_exposure_tense(text: str, level: str) -> None:
    assert run(text).disposition == level, (text, run(text).reasons)
