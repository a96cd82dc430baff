"""Scores the triage engine on the labelled evaluation sets, the same metrics as
`../shared/triage/score.py`, in-process for speed.

Bars (issue 2): emergency recall 1.0, 3-level accuracy >= 0.92, over-triage <= 0.10,
on `eval/vignettes.jsonl`, `eval/holdout1.jsonl`, `eval/holdout2.jsonl`, `eval/holdout3.jsonl`,
`eval/holdout4.jsonl` and the shared
`../shared/triage/examples.jsonl`.
The labels follow `../shared/triage/SPEC.md`, never the engine's output: do not
lower the bars to make this pass.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "eval" / "vignettes.jsonl"
HOLDOUT_SET = REPO / "eval" / "holdout1.jsonl"  # written blind to the engine; now a second dev set
HOLDOUT2_SET = REPO / "eval" / "holdout2.jsonl"  # the second blind set; now a third dev set
HOLDOUT3_SET = REPO / "eval" / "holdout3.jsonl"  # the third blind set; now a fourth dev set
HOLDOUT4_SET = REPO / "eval" / "holdout4.jsonl"  # the fourth blind set; now a fifth dev set
SHARED_SET = Path(__file__).resolve().parents[2] / "shared" / "triage" / "examples.jsonl"
NOW = datetime(2026, 11, 20, 21, 30)

LEVEL = {"routine": 0, "urgent": 1, "emergency": 2}
RED_FLAG_CODES = {
    "bleeding",
    "breathing",
    "severe_gi",
    "toxin",
    "neuro",
    "urinary_obstruction",
    "severe_pain",
    "foreign_body",
    "trauma",
    "labour",
    "heatstroke",
    "eye_trauma",
}
SPECIES = {
    "dog",
    "cat",
    "rabbit",
    "bird",
    "ferret",
    "guinea_pig",
    "reptile",
    "horse",
    "other",
    None,
}
KEYS = ["id", "channel", "turns", "disposition", "red_flags", "species", "onset_h"]

MIN_RECALL = 1.0
MIN_ACCURACY = 0.92
MAX_OVER_TRIAGE = 0.10


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def score(rows: list[dict[str, Any]], engine: Any) -> dict[str, Any]:
    """The metric computation of score.py: one verdict per vignette, turns joined with '. '."""
    n = len(rows)
    correct = under = gold_e = tp_e = non_e = over = 0
    flag_n = flag_hit = 0
    misses: list[str] = []
    for r in rows:
        text = ". ".join(r["turns"]).replace("\n", " ")
        verdict = engine.triage(text, now=NOW)
        g = r["disposition"]
        d = _get(verdict, "disposition")
        d = getattr(d, "value", d)  # tolerate an Enum
        if d == g:
            correct += 1
        elif LEVEL.get(d, -1) < LEVEL[g]:
            under += 1
        got = {getattr(f, "value", f) for f in (_get(verdict, "red_flags") or [])}
        if g == "emergency":
            gold_e += 1
            tp_e += d == "emergency"
            for f in r["red_flags"]:
                flag_n += 1
                flag_hit += f in got
        else:
            non_e += 1
            over += d == "emergency"
        if d != g:
            kind = "UNDER" if LEVEL.get(d, -1) < LEVEL[g] else "over"
            said = " / ".join(r["turns"])[:160]
            misses.append(f"{kind} {r['id']} gold={g} got={d} flags={sorted(got)} :: {said}")
    return {
        "n": n,
        "recall": tp_e / gold_e if gold_e else 1.0,
        "accuracy": correct / n if n else 0.0,
        "over_triage": over / non_e if non_e else 0.0,
        "under": under,
        "red_flag_code_recall": flag_hit / max(flag_n, 1),
        "misses": misses,
    }


@pytest.fixture(scope="module")
def engine() -> Any:
    # No skip when the engine is missing or broken: an unscored engine is a failure.
    try:
        from nlp import load_engine
    except ImportError as exc:
        pytest.fail(f"cannot import nlp.load_engine, the engine cannot be scored: {exc}")
    return load_engine()


def _dataset(name: str) -> Path:
    if name == "eval":
        return EVAL_SET
    if name == "holdout1":
        return HOLDOUT_SET
    if name == "holdout2":
        return HOLDOUT2_SET
    if name == "holdout3":
        return HOLDOUT3_SET
    if name == "holdout4":
        return HOLDOUT4_SET
    if not SHARED_SET.exists():
        pytest.skip(f"shared examples not found at {SHARED_SET} (no ../shared next to the repo)")
    return SHARED_SET


@pytest.mark.parametrize(
    "name", ["eval", "holdout1", "holdout2", "holdout3", "holdout4", "shared_examples"]
)
def test_engine_meets_triage_bars(name: str, engine: Any) -> None:
    path = _dataset(name)
    m = score(load_rows(path), engine)
    summary = (
        f"{path}: vignettes={m['n']} emergency_recall={m['recall']:.3f} "
        f"accuracy={m['accuracy']:.3f} over_triage={m['over_triage']:.3f} "
        f"under_triage={m['under']} red_flag_code_recall={m['red_flag_code_recall']:.3f}"
    )
    ok = (
        m["recall"] >= MIN_RECALL
        and m["accuracy"] >= MIN_ACCURACY
        and m["over_triage"] <= MAX_OVER_TRIAGE
    )
    assert ok, (
        f"{summary}\nbars: recall == {MIN_RECALL}, accuracy >= {MIN_ACCURACY}, "
        f"over_triage <= {MAX_OVER_TRIAGE}\n{len(m['misses'])} misses:\n" + "\n".join(m["misses"])
    )


def test_eval_set_coverage() -> None:
    rows = load_rows(EVAL_SET)
    assert len(rows) >= 300, f"only {len(rows)} vignettes, need >= 300"
    problems: list[str] = []
    ids: Counter[str] = Counter(str(r.get("id")) for r in rows)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    per_code: Counter[str] = Counter()
    for r in rows:
        rid = r.get("id")
        if list(r) != KEYS:
            problems.append(f"{rid}: fields {list(r)} != {KEYS}")
            continue
        if r["channel"] not in ("voice", "sms"):
            problems.append(f"{rid}: channel {r['channel']!r}")
        turns = r["turns"]
        texts_ok = isinstance(turns, list) and all(isinstance(t, str) and t.strip() for t in turns)
        if not (turns and texts_ok):
            problems.append(f"{rid}: turns must be a non-empty list of non-empty strings")
        if r["disposition"] not in LEVEL:
            problems.append(f"{rid}: disposition {r['disposition']!r}")
        bad = [c for c in r["red_flags"] if c not in RED_FLAG_CODES]
        if bad:
            problems.append(f"{rid}: unknown red-flag codes {bad}")
        if bool(r["red_flags"]) != (r["disposition"] == "emergency"):
            problems.append(f"{rid}: red_flags must be non-empty exactly for emergencies")
        if r["species"] not in SPECIES:
            problems.append(f"{rid}: species {r['species']!r}")
        onset = r["onset_h"]
        number = isinstance(onset, (int, float)) and not isinstance(onset, bool)
        if onset is not None and not (number and onset >= 0):
            problems.append(f"{rid}: onset_h {onset!r}")
        per_code.update(r["red_flags"])
    thin = {c: per_code[c] for c in sorted(RED_FLAG_CODES) if per_code[c] < 10}
    if thin:
        problems.append(f"red-flag codes with fewer than 10 vignettes: {thin}")
    dispositions = Counter(r.get("disposition") for r in rows)
    for level in LEVEL:
        if dispositions[level] == 0:
            problems.append(f"no {level} vignettes")
    assert not problems, "\n".join(problems)
