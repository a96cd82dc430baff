"""`nightdesk eval calls`: scenarios played through a real served line; the harness's own figures.

The end-to-end tests start `nightdesk serve` (web, RQ worker, embedded Redis, SQLite) through the
command itself and play SCENARIOS.md's three examples by voice and by SMS. They check the harness
(a ticket per call, turns counted, metrics consistent with the calls), never the product's
triage accuracy, which others tune.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config.policy import load_policy
from nightdesk.cli import cli
from nightdesk.cmd_eval import metrics, report, table, transcript
from nightdesk.eval_calls import (
    EXAMPLE_POLICY,
    CallResult,
    HarnessError,
    Scenario,
    closed_policy,
    heard_er,
    load_scenarios,
)

EXAMPLES = Path(__file__).parent / "data" / "scenarios_examples.jsonl"
ER = "Riverside Animal Emergency Center"


def run_eval(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["eval", "calls", str(EXAMPLES), "--json", *args])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def check_run(rep: dict[str, Any], channel: str) -> None:
    scenarios = {s.id: s for s in load_scenarios([EXAMPLES])}
    calls = rep["calls"]
    assert rep["channel"] == channel
    assert [c["id"] for c in calls] == list(scenarios)  # input order, one call each
    for call in calls:
        s = scenarios[call["id"]]
        owner = [text for role, text in call["transcript"] if role == "owner"]
        lines = [text for role, text in call["transcript"] if role == "line"]
        assert call["ticket_id"] is not None and not call["lost"], call
        assert call["got"] in ("routine", "urgent", "emergency")
        assert call["channel"] == channel and call["gold"] == s.disposition
        assert owner[0] == s.opening  # the opening first
        assert call["turns"] == len(owner) and 1 <= call["turns"] <= 30
        assert not call["runaway"] and call["http_errors"] == 0 and call["error"] is None
        assert lines, "the line said nothing"
        assert call["er_heard"] == heard_er(lines, [ER])
    overall = rep["overall"]
    assert overall["n"] == 3 and overall["lost"] == 0 and overall["harness_errors"] == 0
    assert sum(k["n"] for k in rep["kinds"].values()) == 3
    assert set(rep["kinds"]) == {s.kind for s in scenarios.values()}
    emergencies = [c for c in calls if c["gold"] == "emergency"]
    others = [c for c in calls if c["gold"] != "emergency"]
    assert overall["er_recall"]["of"] == len(emergencies) == 2
    assert overall["er_recall"]["hits"] == sum(c["er_heard"] for c in emergencies)
    assert overall["false_er"]["of"] == len(others) == 1
    assert overall["false_er"]["hits"] == sum(c["er_heard"] for c in others)
    assert overall["accuracy"]["hits"] == sum(c["got"] == c["gold"] for c in calls)
    assert overall["turns_max"] == max(c["turns"] for c in calls)
    assert overall["not_sure"] == sum(c["not_sure"] for c in calls)


def test_voice_scenarios_through_the_served_line() -> None:
    rep = run_eval()
    check_run(rep, "voice")
    for call in rep["calls"]:
        events = [t for r, t in call["transcript"] if r == "event"]
        assert events[0].startswith("[calling +15555550100 from +1555700000")  # own numbers
        assert events[-1] == "[call ended]"  # the status callback was sent
    callers = {c["transcript"][0][1].split(" from ")[1].split(",")[0] for c in rep["calls"]}
    assert len(callers) == 3


def test_sms_scenarios_through_the_served_line() -> None:
    rep = run_eval("--sms", "--jobs", "2")
    check_run(rep, "sms")
    for call in rep["calls"]:
        roles = [r for r, _ in call["transcript"] if r in ("owner", "line")]
        assert roles[:2] == ["owner", "line"]  # the opening is texted first, then answered
        assert roles[-1] == "line"  # the thread ends on a reply that asks nothing


def test_a_bad_limit_is_a_usage_error() -> None:
    bad = CliRunner().invoke(cli, ["eval", "calls", str(EXAMPLES), "--limit", "0"])
    assert bad.exit_code == 2  # a usage error, before anything starts


def test_scenario_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(EXAMPLES.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(HarnessError, match=r"bad.jsonl:2: not JSON"):
        load_scenarios([path])
    path.write_text('{"id": "a", "opening": "hi", "facts": {}, "disposition": "soon"}\n')
    with pytest.raises(HarnessError, match=r"bad.jsonl:1: missing kind"):
        load_scenarios([path])
    result = CliRunner().invoke(cli, ["eval", "calls", str(path)])
    assert result.exit_code == 1 and "missing kind" in result.output


def test_the_served_policy_is_closed_for_the_run(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # a Tuesday, 10:00 at the example clinic
    assert load_policy(EXAMPLE_POLICY).is_open(now)
    policy = closed_policy(EXAMPLE_POLICY, tmp_path / "policy.yaml", now)
    for hours in range(0, 24 * 3, 2):
        assert not policy.is_open(now + timedelta(hours=hours))
    assert policy.er.name == ER and policy.phone == "+15555550100"
    served = load_policy(tmp_path / "policy.yaml")
    assert served.is_open(datetime(2026, 12, 1, 16, tzinfo=UTC))  # a week later: usual hours
    assert not served.is_open(datetime(2027, 2, 5, 16, tzinfo=UTC))  # its own closed day kept


@pytest.mark.parametrize(
    ("texts", "heard"),
    [
        ([f"This sounds like an emergency. Please take Oliver to {ER} now."], True),
        ([f"Go to {ER.lower()} now: 1200 River Road."], True),
        ([f"If Biscuit keeps vomiting, don't wait: go to {ER} at 1200 River Road."], False),
        (["Thank you. The clinic will call you back on Wednesday at 8:30 AM."], False),
    ],
)
def test_heard_er_is_the_er_named_without_an_if(texts: list[str], heard: bool) -> None:
    assert heard_er(texts, [ER]) is heard


def scenario(sid: str, gold: str, kind: str) -> Scenario:
    return Scenario(sid, f"opening {sid}", {}, gold, kind)


def result(s: Scenario, got: str | None, er: bool, turns: int = 3, **kw: Any) -> CallResult:
    r = CallResult(s, "voice", "+15557000000", turns=turns, er_heard=er, got=got, **kw)
    r.transcript = [("line", "question?"), ("owner", s.opening)]
    return r


def test_metrics_count_per_kind_and_overall() -> None:
    hidden, plain, scary = "hidden emergency", "plain emergency", "scary narrative"
    results = [
        result(scenario("a", "emergency", hidden), "emergency", True, turns=5),
        result(scenario("b", "emergency", hidden), "urgent", False, turns=7, not_sure=2),
        result(scenario("c", "emergency", plain), None, True, turns=2),  # lost, but heard ER
        result(scenario("d", "routine", scary), "routine", False, turns=2),
        result(scenario("e", "routine", scary), "emergency", True, turns=30, runaway=True),
    ]
    rep = report(results)
    assert list(rep["kinds"]) == [hidden, plain, scary]
    h, s, o = rep["kinds"][hidden], rep["kinds"][scary], rep["overall"]
    assert h["er_recall"] == {"rate": 0.5, "hits": 1, "of": 2} and h["false_er"]["rate"] is None
    assert h["under_triage"] == 1 and h["not_sure"] == 2 and h["turns_median"] == 6
    # a routine call that heard no ER is no false ER; one that did is
    assert s["false_er"] == {"rate": 0.5, "hits": 1, "of": 2} and s["runaway"] == 1
    assert o["accuracy"] == {"rate": 0.4, "hits": 2, "of": 5}
    assert o["lost"] == 1 and o["under_triage"] == 1 and o["turns_max"] == 30
    assert o["er_recall"]["hits"] == 2 and o["turns_median"] == 5
    assert metrics([])["er_recall"]["rate"] is None
    assert [r.wrong for r in results] == [False, True, True, False, True]
    text = table(rep)
    assert text.splitlines()[0].split()[:3] == ["kind", "n", "ER"]
    assert "0.50 (1/2)" in text and text.splitlines()[-1].startswith("overall")
    shown = transcript(results[1])
    assert "gold emergency, got urgent; ER guidance not heard" in shown
    assert "owner: opening b" in shown


SETS = Path(__file__).resolve().parent.parent / "eval" / "scenarios"
KINDS = ("hidden emergency", "plain emergency", "scary narrative, not an emergency", "urgent",
         "routine")  # fmt: skip


def test_a_fixed_sample_of_the_blind_scenario_sets_plays_end_to_end(tmp_path: Path) -> None:
    """The first scenario of each kind from four of the labellers' sets, through the served line:
    every emergency hears ER guidance, nobody else does, every call becomes a ticket."""
    sample = []
    for name in ("A", "E", "K", "Q"):
        rows = [
            json.loads(line) for line in (SETS / f"blind_{name}.jsonl").read_text().splitlines()
        ]
        sample += [next(r for r in rows if r["kind"] == kind) for kind in KINDS]
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in sample) + "\n")
    result = CliRunner().invoke(cli, ["eval", "calls", str(path), "--json"])
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["overall"]
    assert overall["n"] == 20 and overall["lost"] == 0 and overall["harness_errors"] == 0
    assert overall["er_recall"] == {"rate": 1.0, "hits": 8, "of": 8}
    assert overall["false_er"]["hits"] == 0
    assert overall["turns_max"] <= 14
