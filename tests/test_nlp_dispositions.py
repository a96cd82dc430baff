"""Dispositions per SPEC sections 2-4, red-flag codes, reasons, and the Verdict API."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

import nlp
from nlp import Verdict, load_engine
from nlp.rules import load_dispositions

NOW = datetime(2026, 11, 20, 21, 30)
SPEC_FLAGS = {
    "bleeding", "breathing", "severe_gi", "toxin", "neuro", "urinary_obstruction", "severe_pain",
    "foreign_body", "trauma", "labour", "heatstroke", "eye_trauma",
}  # fmt: skip


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("there's blood pouring from his paw and i can't stop it", "bleeding"),
        ("my cat is breathing with her mouth open", "breathing"),
        ("his gums are kind of grey", "breathing"),
        ("he's choking on a bone", "breathing"),
        ("she has thrown up like 6 times since lunch", "severe_gi"),
        ("there's blood in his vomit", "severe_gi"),
        ("he keeps trying to throw up but nothing comes up and his belly is huge", "severe_gi"),
        ("he ate a bunch of raisins", "toxin"),
        ("my dog got bit by a rattlesnake", "toxin"),
        ("my cat licked the dog flea treatment", "toxin"),
        ("he is having a fit right now", "neuro"),
        ("she collapsed and won't respond", "neuro"),
        ("he's walking in circles and seems confused", "neuro"),
        (
            "my male cat keeps going in and out of the litter box and nothing comes out",
            "urinary_obstruction",
        ),
        ("she is screaming in pain when i touch her", "severe_pain"),
        ("he is all hunched up and trembling", "severe_pain"),
        ("he swallowed a sock this morning and now he's vomiting", "foreign_body"),
        ("my dog got hit by a car", "trauma"),
        ("my cat fell from the 3rd floor balcony", "trauma"),
        ("she's been pushing for an hour and no puppy has come out", "labour"),
        ("he was left in a hot car and he's panting like crazy", "heatstroke"),
        ("my pug's eye popped out of the socket", "eye_trauma"),
        ("my budgie fell off his perch and isn't moving", "neuro"),
        ("he swallowed a fish hook and now he's drooling", "foreign_body"),
        ("a dog attacked mine and he has puncture wounds on his neck", "trauma"),
    ],
)
def test_red_flags_are_emergencies(text: str, flag: str) -> None:
    v = run(text)
    assert v.disposition == "emergency"
    assert flag in v.red_flags
    assert set(v.red_flags) <= SPEC_FLAGS


@pytest.mark.parametrize(
    "text",
    [
        "my dog threw up twice tonight but he's acting normal",
        "my cat hasn't eaten anything for 2 days",
        "he's limping and won't put weight on his back leg",
        "her spay incision is red and oozing a little",
        "my dog has been coughing since the weekend",
        "his face is swollen, maybe a bee, breathing fine",
        "my cat is peeing small amounts a lot, there is urine coming out",
        "he has a bite wound on his ear, not bleeding much",
        "he swallowed a small toy an hour ago, he's acting completely normal",
        "we ran out of his insulin",
        "he yelps when i pick him up",
        "she had a seizure on tuesday, just the one, normal since",
        "he has his usual heart cough, the vet knows, same as always, no worse",
        "my dog keeps coughing and gagging since boarding",
        "my dog has a small cut on her paw that is still bleeding a little",
        "my cat has bad diarrhea for 2 days",
        "my puppy fell off the couch and is limping a little",
        "my dog was bitten on the ear, it's a small puncture, not bleeding",
        "my parrot is sitting all fluffed up at the bottom of the cage",
    ],
)
def test_urgent(text: str) -> None:
    v = run(text)
    assert v.disposition == "urgent"
    assert v.red_flags == []


@pytest.mark.parametrize(
    "text",
    [
        "i need to make an appointment for my cat's annual checkup",
        "can i refill my dog's allergy pills",
        "my dog vomited once this morning and has been fine since",
        "is it safe for dogs to eat onions",
        "my dog's been scratching a lot lately",
        "no bleeding, no vomiting, he's fine, i just want to book his vaccines",
        "what are your hours on saturday",
        "my dog has a little lump on his back, no change",
        "he scraped his nose, it bled a little but it stopped right away",
        "her breath really stinks",
        "can you cut his nails next week",
        "hes fit and healthy, just needs his booster",
        "what temperature should i keep the room for my kitten",
    ],
)
def test_routine(text: str) -> None:
    assert run(text).disposition == "routine"


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("my dog has an itchy ear, is this an emergency?", "asks_if_emergency"),
        ("my cat has a hot spot. i want to talk to a person", "asks_human"),
        ("emergency! my dog has dandruff", "says_emergency"),
    ],
)
def test_caller_concern_is_never_routine(text: str, concern: str) -> None:
    v = run(text)
    assert concern in v.caller_concern
    assert v.disposition == "urgent"
    assert any(f"[concern.{concern}]" in r for r in v.reasons)


@pytest.mark.parametrize(
    ("text", "disposition"),
    [
        ("he ate grapes an hour ago", "emergency"),
        ("my dog ate chocolate last night", "emergency"),
        ("he ate grapes 3 days ago and seems totally fine", "urgent"),
        ("he ate grapes 3 days ago and now he is vomiting", "emergency"),
        ("he got into the chocolate, the vet already made him vomit, he's fine", "urgent"),
        ("my dog chewed a lily leaf", "urgent"),  # lilies are a red flag for cats
        ("my cat chewed a lily leaf", "emergency"),
    ],
)
def test_toxin_age_and_treatment(text: str, disposition: str) -> None:
    assert run(text).disposition == disposition


def test_reasons_quote_the_caller_and_name_the_rule() -> None:
    v = run("my dog ate a whole bar of dark chocolate about an hour ago")
    assert v.reasons == [
        "emergency: 'ate a whole bar of dark chocolate' is toxin exposure [toxin.exposure]"
    ]
    rule_ids = {r.id for r in load_dispositions()}
    for text in ("he collapsed", "she is limping", "book his vaccines", "vomited 5 times"):
        for reason in run(text).reasons:
            m = re.fullmatch(r"(emergency|urgent|routine): .+ \[([a-z_.]+)\]", reason)
            assert m is not None, reason
            assert m.group(2) in rule_ids or m.group(2).startswith("default.")


def test_rules_file_is_consistent() -> None:
    rules = load_dispositions()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    for r in rules:
        assert r.level in ("emergency", "urgent", "routine")
        assert (r.red_flag is not None) == (r.level == "emergency"), r.id
        assert r.red_flag is None or r.red_flag in SPEC_FLAGS
        assert r.all or r.any, r.id
    assert {r.red_flag for r in rules if r.red_flag} == SPEC_FLAGS


def test_every_pattern_rule_has_a_unique_id() -> None:
    seen: set[str] = set()
    for path in sorted((Path(nlp.__file__).parent / "patterns").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("//"):
                rule_id = json.loads(line)["id"]
                assert rule_id not in seen, f"{path.name}: duplicate id {rule_id}"
                seen.add(rule_id)


def test_to_dict_is_the_spec_json() -> None:
    v = run(
        "my 8 year old beagle Bella has vomited 3 times since this morning, not eating, no blood"
    )
    d = json.loads(json.dumps(v.to_dict()))
    assert set(d) == {"disposition", "red_flags", "symptoms", "onset", "species", "patient",
                      "exposures", "flags", "intent", "reasons", "caller_concern",
                      "red_flag_evidence", "fallback"}  # fmt: skip
    assert d["disposition"] == "urgent" and d["species"] == "dog"
    assert d["onset"] == {"text": "since this morning", "hours": 13.5}
    assert {"code": "bleeding", "text": "blood", "negated": True} in d["symptoms"]
    assert d["patient"]["age"] == 8.0 and d["patient"]["breed"] == "beagle"
    assert (
        v.summary()
        == "Dog (Bella, 8 y): vomiting 3 times since this morning; not eating; no blood."
    )


def test_unknowns_shrink_as_the_caller_answers() -> None:
    v = run("my dog is vomiting")
    assert v.unknowns() == ["species_name", "onset", "eating_drinking", "peeing_pooping",
                            "behaviour", "surgery"]  # fmt: skip
    v = run("my dog rex is vomiting since this morning", "he is not eating", "he is lethargic")
    assert v.unknowns() == ["peeing_pooping", "surgery"]
    v = run("my cat luna had her spay last week and is peeing normally")
    assert "surgery" not in v.unknowns() and "peeing_pooping" not in v.unknowns()
    v = run("my dog rex is vomiting", "since noon", "he's eating fine", "peeing and pooping fine",
            "acting normal", "no surgery")  # fmt: skip
    assert v.unknowns() == []
    assert v.summary() == "Dog (Rex): vomiting since noon; eating; peeing; no lethargy."


@pytest.mark.parametrize(
    ("text", "code", "negated"),
    [
        ("she's eating fine", "not_eating", True),
        ("he is breathing normally", "breathing_difficulty", True),
        ("she's not her usual self at all", "lethargy", False),
        ("he's not cold, walking fine", "unable_to_stand", True),
    ],
)
def test_healthy_statements(text: str, code: str, negated: bool) -> None:
    assert {s.code: s.negated for s in run(text).symptoms}[code] is negated


def test_speech_hints_are_short_phrases() -> None:
    hints = nlp.speech_hints()
    assert 30 <= len(hints) <= 100
    assert all(0 < len(h) <= 30 and "|" not in h for h in hints)
    assert "vomit" in hints and "seizure" in hints


def test_engine_is_cached_per_process() -> None:
    assert load_engine() is load_engine()
