"""Evidence strength: a red flag is read from the sentence around its word (issue 11's cases,
and the ones that fail the same way), with `clear` / `doubtful` on every red flag."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import load_engine

NOW = datetime(2026, 11, 20, 21, 30)

# (text, disposition of the single text, {red flag: strength})
CASES: list[tuple[str, str, dict[str, str]]] = [
    # idioms
    ("my puppy ran over to the neighbours' yard and now he's scratching his ear", "routine", {}),
    ("she ran over to the door and now she's shaking her head", "routine", {}),
    ("she flopped down and collapsed on the sofa like she always does", "routine", {}),
    ("he collapsed on the couch next to me like he does every night", "routine", {}),
    # the owner's own body
    (
        "sorry, I'm panicking and I can hardly breathe, my cat has been sneezing all day",
        "urgent",
        {},
    ),
    ("I can't breathe I'm so stressed, my dog has an itchy ear", "routine", {}),
    ("I almost had a heart attack, I found a lump on my dog's side", "routine", {}),
    # the past, resolved
    (
        "he had a seizure two weeks ago and has been totally normal since, tonight he's scratching "
        "his ear",
        "urgent",
        {},
    ),  # fmt: skip
    ("she had a seizure two days ago and has been fine since, she's itchy tonight", "urgent", {}),
    # names and breeds
    ("my cat Oreo has been sneezing", "urgent", {}),
    ("Snickers has diarrhea since this morning", "urgent", {}),
    ("Lily has thrown up a couple of times tonight but she's playing", "urgent", {}),
    ("my chocolate lab threw up twice tonight", "urgent", {}),
    ("my dog Pepper has been limping since yesterday", "urgent", {}),
    # what someone else reports about this pet is the pet's, to be confirmed; their own, not
    (
        "my husband says the eye looks like it's poking out more than the other",
        "emergency",
        {"eye_trauma": "doubtful"},
    ),  # fmt: skip
    ("my husband cut his hand and is bleeding a lot, the dog is fine", "routine", {}),
    # a breath is not breathing
    ("her breath is terrible and her teeth look brown", "routine", {}),
    ("his breath smells really bad lately", "routine", {}),
    # comparisons and questions
    ("my dog has a lump on his side about the size of a grape", "routine", {}),
    ("what would happen if my dog ate grapes? he didn't, I just want to know", "routine", {}),
    # another animal: 'my other dog' is the caller's own pet
    (
        "my dog is fine but my other dog has been vomiting nonstop all evening and won't get up",
        "emergency",
        {"severe_gi": "clear", "neuro": "clear"},
    ),  # fmt: skip
    # doubtful: still the safe answer for a single text, with the strength
    ("hershey got into the pantry tonight", "emergency", {"toxin": "doubtful"}),
    ("my dog collapsed into my lap for a treat", "emergency", {"neuro": "doubtful"}),
    # plain, current, this pet: clear
    ("my dog just ate a whole bar of dark chocolate", "emergency", {"toxin": "clear"}),
    # a person's poison is this pet's exposure: "my husband's chocolate", "my mom's pills"
    ("koda just ate a whole bar of my husband's dark chocolate", "emergency", {"toxin": "clear"}),
    ("she got into my mom's ibuprofen an hour ago", "emergency", {"toxin": "clear"}),
    ("he's on his side paddling his legs and won't respond", "emergency", {"neuro": "clear"}),
    ("my dog was hit by a car", "emergency", {"trauma": "clear"}),
    # a shot is a vaccine or a medicine unless a gun, a pellet or a wound says otherwise
    ("he got his rabies shot with you in may, can you send the certificate", "routine", {}),
    ("my diabetic cat is out of insulin and needs her shot in the morning", "urgent", {}),
    ("she's due for her booster shot next week", "routine", {}),
    ("my dog was shot in the leg by a hunter", "emergency", {"trauma": "clear"}),
    ("someone shot at him with a bb gun", "emergency", {"trauma": "clear"}),
    # the pet bit a person: the person's wound, to be confirmed, not this pet's
    (
        "our dog bit my husband on the hand, there was blood everywhere, he's at urgent care",
        "emergency",
        {"trauma": "doubtful"},
    ),  # fmt: skip
    (
        "the cat bit me and my finger is bleeding a lot",
        "emergency",
        {"bleeding": "doubtful", "trauma": "doubtful"},
    ),  # fmt: skip
    # told at a distance: a what-if, no access, over and treated, a past day
    (
        "there was a snake in the yard tonight, the dog was inside, what would i do if he ever "
        "gets bitten",
        "emergency",
        {"toxin": "doubtful"},
    ),  # fmt: skip
    (
        "i spilled antifreeze in the garage and cleaned it up, my cat was upstairs the whole time",
        "emergency",
        {"toxin": "doubtful"},
    ),  # fmt: skip
    (
        "she choked on a chew earlier but she hacked it up and she's been fine for hours",
        "emergency",
        {"breathing": "doubtful"},
    ),  # fmt: skip
    (
        "bear got into chocolate on tuesday, the er made him throw up, he's been fine since",
        "urgent",
        {},
    ),  # fmt: skip
    # a red flag a context raises with a sign is as sure as the sign
    (
        "lol so he basically collapsed in front of the fireplace after our walk and has been dead "
        "asleep ever since",
        "emergency",
        {"neuro": "doubtful", "heatstroke": "doubtful"},
    ),  # fmt: skip
    # heights, however they are said; a swallowed string told by what is missing
    (
        "my bearded dragon fell off the top of the bookshelf, like six feet onto the tile",
        "emergency",
        {"trauma": "clear"},
    ),  # fmt: skip
    ("my cat fell off the couch and she's fine", "routine", {}),
    (
        "there was curly ribbon on the floor and now its gone, i saw a piece hanging under her "
        "tongue, she threw up this morning",
        "emergency",
        {"foreign_body": "clear"},
    ),  # fmt: skip
    # a face blown up like a balloon is a swelling, not a bloat; a person's snake bite is theirs
    ("my dog's face has blown up like a balloon, he was chasing bees", "urgent", {}),
    (
        "my husband got bit by a rattlesnake on our hike today, he's in the hospital",
        "emergency",
        {"toxin": "doubtful"},
    ),  # fmt: skip
    # long ago and normal since, on a weekday: old, not now; 'emergency surgery' is no claim
    (
        "on sunday my dog had a seizure, it lasted a minute, and he's been totally normal since",
        "urgent",
        {},
    ),  # fmt: skip
    (
        "two years ago my dog had bloat, his stomach flipped and he had emergency surgery, and "
        "ever since then i panic every time he burps",
        "emergency",
        {"severe_gi": "doubtful"},
    ),  # fmt: skip
    # how owners write it (a real-owner set's misses, and their kin)
    ("Dog ate meds", "emergency", {"toxin": "clear"}),
    ("my dog ate half of a steroid pill that isn't for him", "emergency", {"toxin": "clear"}),
    ("my dog ate a pill off the floor", "emergency", {"toxin": "clear"}),
    ("he got into my painkillers", "emergency", {"toxin": "clear"}),
    ("dog ate half a yule log", "emergency", {"toxin": "clear"}),
    ("my lab ate a chocolate bar", "emergency", {"toxin": "clear"}),
    (
        "my dog was bitten by a pitbull and won't come out of his crate",
        "emergency",
        {"trauma": "clear"},
    ),  # fmt: skip
    ("a coyote attacked my cat", "emergency", {"trauma": "clear"}),
    (
        "dog stiffened his whole body and was shaking uncontrollably",
        "emergency",
        {"neuro": "clear"},
    ),  # fmt: skip
    ("my cat hates her pill", "routine", {}),
    (
        "my son ate half his halloween candy and threw up, my cat is due for her shots",
        "emergency",
        {"toxin": "doubtful"},
    ),  # fmt: skip
    ("the cat bit me when i gave her a pill, i'm bleeding all over the place", "routine", {}),
    # no claim of an emergency: the owner's "I'm dying", "bring her in sometime"
    (
        "my cat screams at 4am every day for breakfast, im dying lol, how do i make her stop",
        "emergency",
        {"severe_pain": "doubtful"},
    ),  # fmt: skip
    (
        "she threw up once this morning and is totally normal since, should i bring her in "
        "sometime",
        "routine",
        {},
    ),  # fmt: skip
    ("help my dog is dying", "urgent", {}),
    # a vaccine named for an illness, a toy's eye, a behaviour that is no sign
    ("the boarding place needs proof of my dog's kennel cough vaccine", "routine", {}),
    ("my dog has kennel cough", "urgent", {}),
    ("my puppy ripped the eye off his stuffed bear, the eye popped out", "routine", {}),
    ("her eye popped out", "emergency", {"eye_trauma": "clear"}),
    ("my dog has been clingy since he saw the accident", "routine", {}),
    # a British intensifier; blood told in the past, after another animal's accident
    ("he's been a bleeding nightmare all night, keeps shaking his head", "routine", {}),
    (
        "my neighbour's dog got hit by a car tonight, there was blood everywhere. my cat is due "
        "for her shots",
        "emergency",
        {"bleeding": "doubtful"},
    ),  # fmt: skip
    ("my dog cut his paw and there is blood everywhere", "emergency", {"bleeding": "clear"}),
    # water that will not stay down
    ("she throws up even water, every time she drinks", "emergency", {"severe_gi": "clear"}),
    # heavy bleeding in plain words, with no "blood"
    (
        "i cut his nail too short, it's still dripping and there's drops all over the floor",
        "emergency",
        {"bleeding": "clear"},
    ),  # fmt: skip
]


@pytest.mark.parametrize(("text", "disposition", "strengths"), CASES)
def test_the_sentence_decides_and_each_red_flag_says_how_sure(
    text: str, disposition: str, strengths: dict[str, str]
) -> None:
    v = load_engine().triage(text, now=NOW)
    assert v.disposition == disposition, v.reasons
    assert {e.code: e.strength for e in v.red_flag_evidence} == strengths
    for e in v.red_flag_evidence:
        assert e.text  # the words that raised it
        assert (e.why != "") == (e.strength == "doubtful")


def test_neutered_is_not_a_recent_surgery() -> None:
    v = load_engine().triage("my neutered cat has been sneezing since yesterday", now=NOW)
    assert "post_op" not in v.flags and v.patient.repro == "neutered"


def test_a_denied_red_flag_falls_back_as_if_never_said() -> None:
    engine = load_engine()
    said = ["hershey got into the pantry tonight", "no, he didn't eat anything"]
    assert engine.analyze(said, now=NOW).disposition == "emergency"
    denied = engine.analyze(said, now=NOW, denied={"toxin": 2})
    assert denied.disposition == "routine" and denied.red_flags == []


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("clicking", "clicking"), ("breeding", "breeding"), ("vomitting", "vomiting")],
)
def test_the_typo_fixer_leaves_real_words_alone(typed: str, kept: str) -> None:
    words = load_engine()._parse(f"her nails are {typed} on the floor").words
    assert kept in words


def test_the_cue_table_is_built_safely_by_concurrent_first_webhooks() -> None:
    """Webhooks run in threads: the first ones in a fresh process build the cue table at once
    (this raised KeyError in one call of five under `nightdesk eval calls` before the lock)."""
    import threading

    from nlp import evidence

    engine = load_engine()
    texts = [f"my dog {i} collapsed on the couch and ate chocolate" for i in range(40)]
    want = [engine.triage(t, now=NOW).red_flag_evidence for t in texts]
    for cached in (evidence._cues, evidence._index, evidence._candidates_of, evidence._plan):
        cached.cache_clear()
    errors: list[BaseException] = []
    got: dict[int, object] = {}
    start = threading.Barrier(8)

    def work(k: int) -> None:
        start.wait()
        try:
            for i in range(k, len(texts), 8):
                got[i] = engine.triage(texts[i], now=NOW).red_flag_evidence
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [got[i] for i in range(len(texts))] == want
