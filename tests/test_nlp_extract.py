"""Extraction: species, patient details, exposures, flags, intent, caller concern, robustness."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)


def run(text: str) -> Verdict:
    return load_engine().triage(text, now=NOW)


@pytest.mark.parametrize(
    ("text", "species"),
    [
        ("my puppy is limping", "dog"),
        ("the kitten has diarrhea", "cat"),
        ("my beagle found the gum", "dog"),
        ("our chocolate lab is vomiting", "dog"),
        ("my tabby is sneezing", "cat"),
        ("my bunny's hutch was in the sun", "rabbit"),
        ("my budgie is fluffed up", "bird"),
        ("my guinea pig stopped eating", "guinea_pig"),
        ("our bearded dragon isn't moving", "reptile"),
        ("my mare is colicking", "horse"),
        ("my hamster escaped", "other"),
        ("my neighbor's dog bit my cat", "cat"),
        ("he is vomiting", None),
    ],
)
def test_species(text: str, species: str | None) -> None:
    assert run(text).species == species


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("my dog bella is vomiting", "name", "Bella"),
        ("his name is max and he ate a sock", "name", "Max"),
        ("my 8 year old lab is limping", "age", 8.0),
        ("she is 8 weeks old and has diarrhea", "age", 0.15),
        ("a 6 month old kitten", "age", 0.5),
        ("he's a 3 yo neutered male", "age", 3.0),
        ("my puppy is 8 weeks and has diarrhea", "age", 0.15),
        ("she's about 3 years and limping", "age", 3.0),
        ("scratching her ears, it started about a week ago", "age", None),  # a duration
        ("it's been vomiting for about a week", "age", None),
        ("he's a 3 yo neutered male", "sex", "male"),
        ("he's a 3 yo neutered male", "repro", "neutered"),
        ("she was spayed last year", "repro", "neutered"),
        ("she is not spayed and is in heat", "repro", "intact"),
        ("she's a female golden retriever", "sex", "female"),
        ("my golden retriever ate grapes", "breed", "golden retriever"),
        ("he weighs about 30 lbs", "weight", 13.6),
        ("she's 4.5 kg", "weight", 4.5),
        ("he ate a sock, he hasn't been fixed", "repro", "intact"),
        ("the neutered one is not the one who is sick", "repro", "neutered"),
    ],
)
def test_patient_details(text: str, field: str, value: object) -> None:
    assert getattr(run(text).patient, field) == value


@pytest.mark.parametrize(
    ("text", "kind", "agent", "amount"),
    [
        ("my dog ate a whole bar of dark chocolate", "toxin", "chocolate", "a whole bar"),
        ("she got into my ibuprofen", "toxin", "human medicine", None),
        ("he licked some antifreeze off the floor", "toxin", "antifreeze", "some"),
        ("our cat chewed on a lily", "toxin", "lily", None),
        ("he ate half a pack of sugar free gum", "toxin", "xylitol", "half a pack"),
        ("my dog swallowed a sock", "object", "sock", None),
        ("he ate 2 hair ties", "object", "hair ties", "2"),
        ("the puppy swallowed a corn cob earlier", "object", "corn cob", None),
    ],
)
def test_exposures(text: str, kind: str, agent: str, amount: str | None) -> None:
    exposures = run(text).exposures
    assert [(e.kind, e.agent, e.amount) for e in exposures] == [(kind, agent, amount)]


def test_exposure_when_is_the_onset_text() -> None:
    (e,) = run("my dog ate chocolate about an hour ago").exposures
    assert e.when == "about an hour ago"


@pytest.mark.parametrize(
    "text",
    ["he chews his toy all day", "her pills are in the cabinet", "i bought a new ball for him"],
)
def test_objects_and_generic_medicines_need_an_ingestion(text: str) -> None:
    assert run(text).exposures == []


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("my puppy has diarrhea", ["infectious", "young"]),
        ("he's coughing a lot", ["infectious"]),
        ("her spay incision is red", ["post_op"]),
        ("my 12 year old dog is limping", ["senior"]),
        ("she is pregnant and vomiting", ["pregnant"]),
    ],
)
def test_flags(text: str, flags: list[str]) -> None:
    assert run(text).flags == flags


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i need to book his vaccines", "appointment"),
        ("can i get a refill of her thyroid pills", "refill"),
        ("are the blood test results back", "results"),
        ("please have doctor lee call me", "message_for_doctor"),
        ("i have a question about my bill", "billing"),
        ("what are your hours on saturday", "other"),
        ("my dog is vomiting, can i book an appointment", "sick_pet"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert run(text).intent == intent


@pytest.mark.parametrize(
    ("text", "concern"),
    [
        ("this is an emergency", ["says_emergency"]),
        ("is this an emergency", ["asks_if_emergency"]),
        ("can i talk to a real person", ["asks_human"]),
        ("i want to speak to the vet", ["asks_human"]),
        ("it's not an emergency, i just want to book his shots", []),
        ("please have the doctor call me about his results", []),
    ],
)
def test_caller_concern(text: str, concern: list[str]) -> None:
    v = run(text)
    assert v.caller_concern == concern
    assert (v.disposition != "routine") == bool(concern)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("MY DOG IS VOMITING", "vomiting"),
        ("he hasnt eaten 2day pls help", "not_eating"),
        ("my dog has diarhea", "diarrhea"),
        ("cat is vomitting", "vomiting"),
        ("uh um he's like you know limping", "limping"),
        ("dog is siezing", "seizure"),
        ("he threw up eight times", "vomiting"),
        ("pup keeps coughing 😭😭", "coughing"),
        ("she is letharjic", "lethargy"),
        ("hes been limpin since yestrday", "limping"),
        ("my horse is colicking", "pain"),
    ],
)
def test_speech_and_sms_noise(text: str, code: str) -> None:
    assert code in [s.code for s in run(text).symptoms if not s.negated]


def test_number_words_count_episodes() -> None:
    assert run("he threw up eight times tonight").red_flags == ["severe_gi"]
    assert run("he threw up two times tonight").disposition == "urgent"


def test_long_and_empty_inputs() -> None:
    long = "my dog is fine and playing in the garden with his ball. " * 90
    assert len(long) > 5000
    v = run(long + "now he suddenly collapsed")
    assert v.disposition == "emergency"
    empty = run("")
    assert empty.symptoms == [] and empty.disposition in ("routine", "urgent")
