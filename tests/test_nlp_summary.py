"""The CSR summary (issue 11, item 4): only counts that were said, red flags in the caller's words,
the owner's worry and question kept, and an onset only from what describes the problem."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from nlp import Verdict, load_engine
from nlp.tokenizer import PATTERNS, load_jsonl

NOW = datetime(2026, 11, 20, 21, 30)
REPO = Path(__file__).resolve().parents[1]
SETS = sorted((REPO / "eval").glob("*.jsonl")) + [
    REPO.parent / "shared" / "triage" / "examples.jsonl"
]
TIMES = re.compile(r"\b(\d+) times\b")


def run(text: str) -> Verdict:
    return load_engine().triage(text, now=NOW)


def eval_texts() -> list[str]:
    """Every labelled text of the evaluation sets (each row's turns as one text)."""
    out = []
    for path in SETS:
        if path.exists():
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            out += [". ".join(r["turns"]) for r in rows if "turns" in r]
    return out


# (text, code, the count a CSR sees): a repetition ('again', 'keeps', 'a couple of times') is no
# count; a number said is ('3 times', 'twice', '3x', '2 seizures', '4 bouts of')
COUNTS: list[tuple[str, str, int | None]] = [
    ("my dog is retching again", "retching", None),
    ("my cat keeps sneezing", "sneezing", None),
    ("he keeps throwing up", "vomiting", None),
    ("he vomited a few times", "vomiting", None),
    ("he threw up several times", "vomiting", None),
    ("she's been vomiting on and off", "vomiting", None),
    ("Lily has thrown up a couple of times tonight but she's playing", "vomiting", None),
    ("he threw up at 5pm and again at 8", "vomiting", None),
    ("he had a seizure again", "seizure", None),
    ("my cat keeps squinting", "eye_problem", None),
    ("he keeps scratching his ears", "itching", None),
    ("he's thrown up 3 times since noon", "vomiting", 3),
    ("the dog vomited twice this evening", "vomiting", 2),
    ("he threw up 3x", "vomiting", 3),
    ("she had diarrhea like 6 or 7 times", "diarrhea", 7),
    ("she's had 4 bouts of diarrhea", "diarrhea", 4),
    ("he's had 2 seizures tonight", "seizure", 2),
    ("he's had three seizures today back to back", "seizure", 3),
    ("he had a fit about half an hour ago, all four legs paddling", "seizure", None),
]


@pytest.mark.parametrize(("text", "code", "count"), COUNTS)
def test_only_counts_that_were_said(text: str, code: str, count: int | None) -> None:
    v = run(text)
    assert v.counts.get(code) == count
    numbers = re.findall(r"\d+", v.summary())
    if count is None:
        assert TIMES.findall(v.summary()) == []
    elif count > 1:
        assert str(count) in numbers  # 'vomiting 3 times', '4 bouts of diarrhea (severe GI)'


@pytest.mark.parametrize(
    ("text", "disposition"),
    [
        ("he keeps throwing up", "urgent"),  # a repetition still decides: repeated vomiting
        ("my dog keeps retching but nothing comes up", "emergency"),
        ("he vomited once this morning and has been fine since", "routine"),
    ],
)
def test_repetitions_still_decide(text: str, disposition: str) -> None:
    assert run(text).disposition == disposition


def test_no_summary_counts_what_was_not_said() -> None:
    """On every labelled text: each 'N times' in the summary is a number the caller said."""
    said_words = {w for r in load_jsonl("context.jsonl") if "count" in r for w in r["phrases"]}
    engine = load_engine()
    wrong = []
    for text in eval_texts():
        v = engine.triage(text, now=NOW)
        words = engine.nlp.tokenizer(text).user_data["nd_words"]
        for n in TIMES.findall(v.summary()):
            if n not in words and not said_words.intersection(words):
                wrong.append((text, v.summary()))
    assert wrong == []


# (text, the red flag in the caller's words, a word the summary no longer uses for it)
RED_FLAGS: list[tuple[str, str, str | None]] = [
    ("my dog got hit by a car", "hit by a car (trauma)", "wound"),
    ("dog hit by car just now hes walking but limping", "hit by car (trauma)", "wound"),
    ("my cat fell from the balcony", "fell from the balcony (trauma)", "wound"),
    ("my dog got shot, some pellets in his side", "got shot (trauma)", "wound"),
    ("he got his eye popped out", "eye popped out (eye injury)", "eye problem"),
    ("she's bleeding and it won't stop", "bleeding and it wont stop (bleeding)", None),
    ("he swallowed a sock and is vomiting", "swallowed a sock (foreign body: sock)", "exposure"),
    ("my dog ate a whole bar of dark chocolate", "(toxin: chocolate)", "exposure"),
    ("uh my dog is like gasping for air", "gasping for air (breathing)", "breathing difficulty"),
    ("my cat is straining in the litter box and nothing comes out", "(urinary blockage)", None),
    ("he's screaming in pain whenever he moves his neck", "screaming in pain (severe pain)", None),
    ("my dog ate a grape, is that bad?", "(toxin: grapes/raisins; doubtful: a question)", None),
]


@pytest.mark.parametrize(("text", "said", "not_said"), RED_FLAGS)
def test_red_flags_in_the_callers_words(text: str, said: str, not_said: str | None) -> None:
    summary = run(text).summary()
    assert said in summary
    if not_said is not None:
        assert not_said not in summary


def test_every_red_flag_is_named_in_the_summary() -> None:
    """On every labelled text: each red flag's words (or its name) are in the summary, first."""
    engine = load_engine()
    missing = []
    for text in eval_texts():
        v = engine.triage(text, now=NOW)
        summary = v.summary()
        for e in v.red_flag_evidence:
            if e.text not in summary.split(":", 1)[1]:
                missing.append((text, e.text, summary))
    assert missing == []


# (text, the owner's worry or question, kept in the summary)
WORRIES: list[tuple[str, str]] = [
    ("he's vomiting and I'm worried he ate rat poison", "im worried he ate rat poison"),
    ("I'm worried he ate rat poison but I didn't see him eat it", "worried he ate rat poison"),
    ("I'm scared he got into the antifreeze in the garage", "scared he got into the antifreeze"),
    ("I'm afraid she got into the rat bait", "afraid she got into the rat bait"),
    ("I think she may have eaten some rat poison", "i think she may have eaten some rat poison"),
    ("he's vomiting, not sure if he ate any rat poison", "not sure if he ate any rat poison"),
    ("my dog is limping, is this an emergency?", 'asks if urgent ("is this an emergency")'),
    ("she has diarrhea, can it wait until tomorrow?", '("can it wait until tomorrow")'),
    ("my dog ate chocolate, can it wait until monday?", "asks if urgent"),
    ("can I talk to a person? my cat is sneezing", "asks for a person"),
    ("THIS IS AN EMERGENCY my dog broke his nail", "says it is an emergency"),
]


@pytest.mark.parametrize(("text", "kept"), WORRIES)
def test_the_owners_worry_is_kept(text: str, kept: str) -> None:
    assert kept in run(text).summary()


# (text, onset): a plan ('wait till monday', 'the appointment on friday', 'call me back tonight')
# or another event ('neutered 5 days ago', 'had her for 5 years') is not when the problem began
ONSETS: list[tuple[str, str | None]] = [
    ("can I wait till Monday? he's been limping", None),
    ("he's been vomiting since yesterday and I want to wait till Monday", "since yesterday"),
    ("she's had diarrhea for 3 days, the vet is closed till monday", "for 3 days"),
    ("my cat is limping, can it wait until Monday morning", None),
    ("does he need to come in tonight? he's been coughing", None),
    ("can someone call me back tonight?? my cat has a lump thats gotten bigger", None),
    ("I have an appointment on friday but she's been vomiting since tuesday", "since tuesday"),
    ("he had diarrhea once this afternoon, i'll mention it at his appt monday", "this afternoon"),
    ("pls cancel my appt tmrw at 10", None),
    ("r u open saturday morning", None),
    ("he got neutered 5 days ago and is lethargic", None),
    ("5 days ago she got spayed and now she is vomiting", None),
    ("cone keeps falling off and hes licking his stitches, surgery was monday", None),
    ("we've had her for 5 years and tonight she started vomiting", "tonight"),
    # ... while times of the problem stay
    ("he was fine until yesterday, now he is limping", "yesterday"),
    ("since the clinic closed at 6 he has been vomiting", "at 6"),
    ("he has an open wound since monday", "since monday"),
    ("my dog ate chocolate about an hour ago", "about an hour ago"),
]


@pytest.mark.parametrize(("text", "onset"), ONSETS)
def test_onset_only_from_what_describes_the_problem(text: str, onset: str | None) -> None:
    v = run(text)
    assert (v.onset.text if v.onset else None) == onset


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("can I wait till Monday? he's been limping", "Pet: limping."),
        ("he got neutered 5 days ago and is lethargic", "Pet: lethargy."),
        ("she's had diarrhea for 3 days, we're closed till monday", "Pet: diarrhea for 3 days."),
        ("does he need to come in tonight? he's been coughing", "Pet: coughing."),
    ],
)
def test_the_summary_says_when_the_problem_began(text: str, summary: str) -> None:
    assert run(text).summary() == summary


@pytest.mark.parametrize(
    "text",
    [
        "my dog ate chocolate, can it wait until monday?",
        "he ate some grapes, can I wait till monday to bring him in?",
        "my cat chewed a lily leaf, the vet is closed till monday",
        "she got into the rat poison, can i bring her in tomorrow at 9",
    ],
)
def test_a_plan_does_not_make_an_exposure_old(text: str) -> None:
    """'wait till monday' read as the onset made a toxin four days old: not acute, not the ER."""
    assert run(text).disposition == "emergency"


def test_the_onset_is_said_once_and_only_in_the_callers_words() -> None:
    summary = run("he was whimpering all night and wont let me touch his belly").summary()
    assert summary.count("all night") == 1
    assert not run("he had a seizure again").summary().endswith(" now.")  # no time was said


def test_onset_rules_read_the_time_of_a_plan_or_event_elsewhere() -> None:
    rows = load_jsonl("onset_elsewhere.jsonl")
    assert {r["kind"] for r in rows} == {"elsewhere", "filler", "clause_break"}
    assert (PATTERNS / "onset_elsewhere.jsonl").exists()
