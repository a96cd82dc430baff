"""Onset arithmetic relative to the call time, across midnight and weekdays."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import load_engine

FRI_2130 = datetime(2026, 11, 20, 21, 30)  # a Friday evening
SAT_0130 = datetime(2026, 11, 21, 1, 30)  # just after midnight
MON_0800 = datetime(2026, 11, 23, 8, 0)


def hours(text: str, now: datetime) -> float | None:
    onset = load_engine().triage(text, now=now).onset
    return None if onset is None else onset.hours


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("he's been vomiting since this morning", FRI_2130, 13.5),
        ("vomiting since yesterday morning", FRI_2130, 37.5),
        ("diarrhea for a couple of days", FRI_2130, 48.0),
        ("ate chocolate about an hour ago", FRI_2130, 1.0),
        ("ate chocolate about an hour and a half ago", FRI_2130, 1.5),
        ("limping since 5pm", FRI_2130, 4.5),
        ("limping since 5", FRI_2130, 4.5),
        ("she started coughing on wednesday", FRI_2130, 57.5),
        ("hit by a car just now", FRI_2130, 0.0),
        ("not eating for 3 days", FRI_2130, 72.0),
        ("coughing since the weekend", MON_0800, 44.0),
        ("vomiting for eight hours", FRI_2130, 8.0),
        ("hasnt peed for twenty minutes", FRI_2130, 0.3),
        ("it started last night", FRI_2130, 23.5),
        # across midnight: 1:30 on Saturday
        ("he started throwing up at 11pm", SAT_0130, 2.5),
        ("since 10:30 pm", SAT_0130, 3.0),
        ("she's been panting since this evening", SAT_0130, 7.5),
        ("it started tonight", SAT_0130, 6.5),
        ("since yesterday afternoon", SAT_0130, 11.5),  # the day before this night
        # weekdays: the most recent past day, a week back when it is today
        ("limping since friday", FRI_2130, 177.5),
        ("since monday morning", MON_0800, 168.0),
        ("since saturday", MON_0800, 44.0),
        ("since tuesday night", FRI_2130, 71.5),
        # meals, spoken clock times, number words, bare answers to "when did it start?"
        ("thrown up 8 times since noon", FRI_2130, 9.5),
        ("since lunchtime", FRI_2130, 9.5),
        ("it started around four", FRI_2130, 5.5),
        ("since like four thirty", FRI_2130, 5.0),
        ("straining for forty five minutes", FRI_2130, 0.75),
        ("cat straining in litterbox, no urine, been 3 hrs", FRI_2130, 3.0),
        ("its been like an hour", FRI_2130, 1.0),
        ("my cat is sneezing. a couple of days", FRI_2130, 48.0),
        ("he just collapsed", FRI_2130, 0.0),
    ],
)
def test_onset_hours(text: str, now: datetime, expected: float) -> None:
    assert hours(text, now) == pytest.approx(expected, abs=0.11)


@pytest.mark.parametrize(
    "text",
    ["my dog is limping", "what are your hours", "he is 8 years old", "he ate about 4 pieces"],
)
def test_no_onset_when_none_is_said(text: str) -> None:
    assert hours(text, FRI_2130) is None


def test_the_longest_onset_is_the_start_of_the_problem() -> None:
    text = "vomiting since yesterday and an hour ago he started shaking"
    assert hours(text, FRI_2130) == pytest.approx(33.5)


def test_an_acute_event_without_a_time_is_now() -> None:
    onset = load_engine().triage("my cat is having a seizure", now=FRI_2130).onset
    assert onset is not None and onset.hours == 0.0


def test_aware_datetimes_work() -> None:
    from datetime import timedelta, timezone

    now = FRI_2130.replace(tzinfo=timezone(timedelta(hours=-5)))
    assert hours("since this morning", now) == pytest.approx(13.5)


def test_onset_rules_file_is_well_formed() -> None:
    from nlp.tokenizer import load_jsonl

    rows = load_jsonl("onset.jsonl")
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["kind"] in ("zero", "span", "clock", "part", "weekday")
        assert 1 <= len(r["needs"]) <= 2, r["id"]  # the scanner checks the first and last group
