"""One contract for a valid policy: whatever `config check` accepts, every runtime path handles.

Hypothesis writes policy files (valid and not: odd hours, no hours, overnight and 24-hour
spans, half-hour zones, holidays, rotations with repeats, shifts of the backup, unknown names,
bad deadlines). Each goes through `config check`'s validator; each accepted one goes through
the callback due time of every disposition, the paging decision, the on-call plan, `policy
explain` and `oncall` at random times: no exception, and the answers hold together. Under CI
(`CI` set) Hypothesis's `ci` profile derandomizes the run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from config.hours import DAYS
from config.policy import Policies, check_report, load_policy
from config.rules import DISPOSITIONS, FLAGS
from nightdesk import cmd_policy
from nightdesk.explain import explain
from nlp import Engine, load_engine

ZONES = (
    "America/Chicago",
    "America/St_Johns",  # -03:30 / -02:30
    "Europe/London",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",
    "UTC",
)
PHONES = ("+15555550341", "+15555550342", "+15555550343", "+15555550344")
IDS = ("ana", "ben", "cai", "dan")
TEXTS = (
    "my dog ate a whole bar of dark chocolate an hour ago",
    "my cat has been vomiting since last night",
    "Biscuit had surgery last week and the incision is red and swollen",
    "I need a refill of heartworm pills",
    "",
)

clock = st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.sampled_from((0, 15, 30, 45, 59)))
span = st.builds("{}-{}".format, clock, st.one_of(clock, st.just("24:00")))
day_hours = st.one_of(st.just("closed"), span, st.lists(span, min_size=1, max_size=3))
hours: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.dictionaries(st.sampled_from((*DAYS, "monday")), day_hours, max_size=7),
)
a_date = st.dates(date(2024, 1, 1), date(2031, 12, 31))
holidays = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"country": st.sampled_from(("US", "GB", "DE"))},
        optional={
            "open_on": st.lists(
                st.sampled_from(("Christmas", "New Year")),
                max_size=2,
            )
        },
    ),
)
deadline = st.one_of(
    st.builds("{} min after opening".format, st.integers(0, 600)),
    st.builds("{} hours after filing".format, st.integers(0, 48)),
    st.builds("by {} next open day".format, clock),
)
stamp = st.builds(
    lambda d, h, m: f"{d.isoformat()} {h:02d}:{m:02d}",
    a_date,
    st.integers(0, 23),
    st.integers(0, 59),
)


@st.composite
def on_call(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=4, unique=True))
    people = {
        pid: {"name": f"Dr. {pid.title()}", "phone": draw(st.sampled_from(PHONES))} for pid in ids
    }
    someone = st.sampled_from(ids)
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["phone"] = draw(st.sampled_from(PHONES))
    if draw(st.booleans()) or "phone" not in out:
        out["people"] = people
        if draw(st.booleans()):
            out["rotation"] = {
                "order": draw(st.lists(someone, min_size=1, max_size=4)),
                "every": draw(st.sampled_from(("week", "day"))),
                "handover": draw(st.sampled_from(("mon 08:00", "fri 18:30", "07:00", "02:30"))),
                "start": draw(a_date),
            }
        shifts = []
        for _ in range(draw(st.integers(0, 3))):
            start = draw(st.datetimes(datetime(2024, 1, 1), datetime(2031, 12, 1)))
            shift = {
                "person": draw(someone),
                "from": f"{start:%Y-%m-%d %H:%M}",
                "to": f"{start + timedelta(hours=draw(st.integers(1, 24 * 40))):%Y-%m-%d %H:%M}",
            }
            if draw(st.booleans()):
                shift["backup"] = draw(someone)
            shifts.append(shift)
        if shifts:
            out["shifts"] = shifts
    if draw(st.booleans()) and "people" in out:
        out["backup"] = draw(someone)
    return out


@st.composite
def policy_data(draw: st.DrawFn) -> dict[str, Any]:
    clinic: dict[str, Any] = {
        "name": "Property Clinic",
        "phone": "+15555550300",
        "timezone": draw(st.sampled_from(ZONES)),
        "hours": draw(hours),
    }
    if (hol := draw(holidays)) is not None:
        clinic["holidays"] = hol
    if special := draw(st.dictionaries(a_date, day_hours, max_size=3)):
        clinic["special_days"] = special
    if draw(st.booleans()):
        clinic["manager_phone"] = draw(st.sampled_from(PHONES))
    data: dict[str, Any] = {
        "clinic": clinic,
        "er": {"name": "City ER", "phone": "+15555550399", "address": "1 Main St"},
        "on_call": draw(on_call()),
        "clients": {"vip": ["+15555550177", {"phone": "+15555550188", "surgery": draw(a_date)}]},
    }
    rule = st.fixed_dictionaries(
        {"page": st.sampled_from(("always", "yes", "never"))},
        optional={
            "disposition": st.sampled_from(DISPOSITIONS),
            "flags": st.lists(st.sampled_from(FLAGS), max_size=2),
            "any_flags": st.lists(st.sampled_from(FLAGS), max_size=2),
            "caller_on": st.just("vip"),
            "surgery_within_days": st.integers(0, 30),
        },
    )
    if draw(st.booleans()):
        data["paging"] = {
            "rules": draw(st.lists(rule, max_size=4)),
            "max_per_night": draw(st.integers(0, 5)),
            "ack_minutes": draw(st.integers(0, 60)),
        }
    callbacks = draw(st.dictionaries(st.sampled_from(DISPOSITIONS), deadline, max_size=3))
    if draw(st.booleans()):
        callbacks["morning"] = draw(clock)
    if callbacks:
        data["callbacks"] = callbacks
    return data


# One mistake each, which `config check` must report (file, line and fix) and never accept.
def _set(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    return apply


MISTAKES = (
    _set("clinic", "hours", "mon", value="8am-6pm"),
    _set("clinic", "hours", "sun", value="25:00-26:00"),
    _set("clinic", "holidays", value={"country": "US", "open_on": ["Pulasky Day"]}),
    _set("clinic", "timezone", value="Mars/Base"),
    _set("on_call", "backup", value="zed"),
    _set("on_call", "phone", value="555-0100"),
    _set("paging", value={"rules": [{"flags": ["postop"], "page": "yes"}]}),
    _set("paging", value={"rules": [{"disposition": "emergncy", "page": "yes"}]}),
    _set("paging", value={"rules": [{"caller_on": "vips", "page": "always"}]}),
    _set("callbacks", value={"urgent": "asap"}),
    _set("callbacks", value={"morning": "8am"}),
    _set("clients", "vip", value="+15555550177"),
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_engine()


def _write(folder: str, data: dict[str, Any]) -> Path:
    path = Path(folder) / "clinic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    return group


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=policy_data(),
    times=st.lists(
        st.datetimes(datetime(2024, 1, 1), datetime(2032, 1, 1), timezones=st.just(UTC)),
        min_size=1,
        max_size=4,
    ),
    text=st.sampled_from(TEXTS),
    flags=st.lists(st.sampled_from(FLAGS), max_size=2),
)
def test_every_accepted_policy_works_at_every_time(
    engine: Engine, data: dict[str, Any], times: list[datetime], text: str, flags: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, data)
        problems, notes = check_report([path])
        event("accepted" if not problems else "rejected")
        if problems:  # e.g. a backup who is the person they back up
            assert all(p.startswith(f"{path}:") and " — fix: " in p for p in problems), problems
            return
        policy = load_policy(path)
        policies = Policies([policy])
        nobody_backs_up = any("nobody backs up" in note for note in notes)
        shifts = policy.plan.shifts if policy.plan else ()
        inside = [s.start + (s.end - s.start) * offset for s in shifts for offset in (0, 0.5)]
        for at in [*times, *inside]:
            for disposition in DISPOSITIONS:
                due = policy.callback_due(disposition, at)
                assert due.tzinfo is not None and at <= due <= at + timedelta(days=402)
                policy.page_decision(disposition, flags, "+15555550188", at, 0)
            assert policy.night_start(at) <= at
            policy.closed_reason(at)
            who = policy.on_call(at)
            assert who.until is None or who.until > at
            if who.backup is not None:
                assert who.backup.phone != who.primary.phone
            else:
                assert nobody_backs_up, f"no backup at {at} and config check said nothing"
            assert policy.on_call_person(who.primary.phone) is not None
            e = explain(policies, text, at, engine=engine)
            assert e.due is not None and e.lines() and e.to_dict()
        when = times[0].isoformat()
        runner = CliRunner()
        oncall = runner.invoke(_cli(), ["oncall", "--config", str(path), "--at", when])
        assert oncall.exit_code == 0 and oncall.exception is None, oncall.output
        args = ["policy", "explain", "--config", str(path), "--at", when, text or "hello"]
        dry = runner.invoke(_cli(), args)
        assert dry.exit_code == 0 and dry.exception is None, dry.output
        assert "Ticket due:" in dry.output


@settings(max_examples=60, deadline=None, database=None)
@given(data=policy_data(), mistake=st.sampled_from(MISTAKES))
def test_every_mistake_is_reported_with_its_line_and_fix(
    data: dict[str, Any], mistake: Callable[[dict[str, Any]], None]
) -> None:
    mistake(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, data)
        problems, _ = check_report([path])
        assert problems
        assert all(p.startswith(f"{path}:") and " — fix: " in p for p in problems), problems
        check = CliRunner().invoke(_cli(), ["config", "check", str(path)])
        assert check.exit_code == 1 and "Traceback" not in check.output
