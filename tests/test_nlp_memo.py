"""The engine's per-text memo: verdicts through it equal cache-free ones, whatever came before."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from nlp import Engine, load_engine
from nlp.hits import Hit
from nlp.turn import Turn

EVAL = Path(__file__).resolve().parents[1] / "eval"
NOWS = (datetime(2026, 11, 20, 21, 30), datetime(2026, 11, 21, 3, 5))  # a Friday night, small hours


def _calls() -> list[list[str]]:
    """The turns of every vignette of eval/vignettes.jsonl and eval/holdout*.jsonl."""
    calls = []
    for path in [EVAL / "vignettes.jsonl", *sorted(EVAL.glob("holdout*.jsonl"))]:
        with path.open(encoding="utf-8") as fh:
            calls += [json.loads(line)["turns"] for line in fh if line.strip()]
    return calls


CALLS = _calls()


def _seen(engine: Engine, turns: list[str], now: datetime) -> dict[str, Any]:
    """Everything a verdict tells the app, including what to_dict() leaves out."""
    v = engine.analyze(turns, now=now)
    return {
        **v.to_dict(),
        "counts": v.counts,
        "answered": sorted(v.answered),
        "unknowns": v.unknowns(),
        "summary": v.summary(),
    }


@pytest.fixture(scope="module")
def plain() -> Engine:
    """The engine without a memo: every text through the pipeline afresh."""
    return Engine(load_engine().nlp, memo_size=0)


@pytest.fixture(scope="module")
def expected(plain: Engine) -> dict[tuple[int, int, int], dict[str, Any]]:
    """(call, turns, now) -> the cache-free verdict of turns[:turns] of a call."""
    return {
        (c, k, n): _seen(plain, turns[:k], now)
        for c, turns in enumerate(CALLS)
        for k in range(1, len(turns) + 1)
        for n, now in enumerate(NOWS)
    }


def _webhooks(order: list[int]) -> Iterator[tuple[int, int]]:
    """(call, turns so far), each call growing one turn a webhook, the calls interleaved."""
    longest = max(len(CALLS[c]) for c in order)
    for k in range(1, longest + 1):
        yield from ((c, k) for c in order if k <= len(CALLS[c]))


def test_vignettes_are_loaded() -> None:
    assert len(CALLS) > 1000
    assert any(len(turns) >= 4 for turns in CALLS)


def test_growing_calls_through_the_memo_equal_cache_free_analysis(
    expected: dict[tuple[int, int, int], dict[str, Any]],
) -> None:
    engine = Engine(load_engine().nlp)
    forward = list(range(len(CALLS)))
    # interleaved webhooks, then each call's prefixes in order, forward and backward, twice
    passes = [list(_webhooks(forward))]
    passes += [[(c, k) for c in order for k in range(1, len(CALLS[c]) + 1)]
               for order in (forward, forward[::-1], forward[::-1], forward)]  # fmt: skip
    for hooks in passes:
        for c, k in hooks:
            for n, now in enumerate(NOWS):
                got = _seen(engine, CALLS[c][:k], now)
                assert got == expected[c, k, n], (CALLS[c][:k], now)
    info = engine.memo.cache_info()
    assert info.hits > info.misses  # the memo was used, not just filled


def test_triage_and_pipe_equal_the_memo(plain: Engine) -> None:
    engine = Engine(load_engine().nlp)
    texts = [". ".join(turns) for turns in CALLS[:300]]
    for now in NOWS:
        piped = [v.to_dict() for v in engine.pipe(texts, now=now)]
        for text, got in zip(texts, piped, strict=True):
            want = plain.analyze([text], now=now).to_dict()
            assert got == want == engine.triage(text, now=now).to_dict(), text
            assert engine.analyze([text], now=now).to_dict() == want, text


@pytest.mark.parametrize(
    ("first", "later", "shared_says"),
    [
        ("he threw up once this morning", "hes totally fine now", "urgent.vomiting"),  # RESOLVED
        ("she threw up 5 times tonight", "shes totally fine now", "gi.vomiting_many"),  # counted
        ("he didnt eat any of the chocolate", "no wait he definitely ate some of it",
         "default.routine"),  # an earlier turn's denied agent revived (NEG taken off)
    ],
)  # fmt: skip
def test_a_text_reused_by_another_call_is_analysed_afresh(
    plain: Engine, first: str, later: str, shared_says: str
) -> None:
    engine = Engine(load_engine().nlp)
    now = NOWS[0]
    alone, both = [first], [first, later]
    want_alone, want_both = _seen(plain, alone, now), _seen(plain, both, now)
    assert want_alone != want_both  # the later turn changes the verdict (on earlier hits)
    assert any(shared_says in r for r in want_alone["reasons"])
    for turns in (alone, both, alone, both, both, alone):
        want = want_alone if turns is alone else want_both
        assert _seen(engine, turns, now) == want, turns
    other = Engine(load_engine().nlp)  # the other order: the long call first, cold
    for turns in (both, alone, both, alone):
        want = want_alone if turns is alone else want_both
        assert _seen(other, turns, now) == want, turns


def _hit(h: Hit) -> tuple[object, ...]:
    return tuple(getattr(h, s) for s in Hit.__slots__)


def _state(turn: Turn) -> tuple[object, ...]:
    """Every value a memoised turn holds (hits slot by slot), to compare with a fresh parse."""
    times = tuple((rid, kind, m.group(0), m.span(), pos) for rid, kind, m, pos in turn.times)
    hits = tuple(_hit(h) for h in turn.hits)
    return (turn.words, turn.text, hits, times, turn.species, turn.patient)


def test_memoised_turns_stay_as_the_pipeline_made_them() -> None:
    engine = Engine(load_engine().nlp, memo_size=100_000)
    for turns in CALLS:
        for k in range(1, len(turns) + 1):
            engine.analyze(turns[:k], now=NOWS[0])
    texts = {t for turns in CALLS for t in turns}
    assert engine.memo.cache_info().currsize == len(texts)
    for text in texts:
        kept = engine.memo(text)  # a hit: the entry every earlier analysis read
        assert _state(kept) == _state(engine._parse(text)), text


def test_a_fresh_turn_has_hits_of_its_own() -> None:
    turn = Engine(load_engine().nlp).memo("she threw up 5 times tonight, she is not eating")
    before = _state(turn)
    copy = turn.fresh()
    assert len(copy.hits) == len(turn.hits) > 1
    for h, c in zip(turn.hits, copy.hits, strict=True):
        assert c is not h and _hit(c) == _hit(h)  # every slot copied
        c.mark("RESOLVED")
        c.span, c.count, c.mods = (0, 1), 99, c.mods - {"NEG"}
    assert _state(turn) == before


def test_concurrent_calls_share_the_memo_safely(
    expected: dict[tuple[int, int, int], dict[str, Any]],
) -> None:
    engine = Engine(load_engine().nlp, memo_size=64)  # small: entries are evicted under use
    hooks = list(_webhooks(list(range(0, len(CALLS), 3))))

    def run(part: int) -> list[str]:
        bad = []
        for c, k in hooks[part::4] + hooks[: len(hooks) // 4]:  # a quarter run by every thread
            if _seen(engine, CALLS[c][:k], NOWS[1]) != expected[c, k, 1]:
                bad.append(" / ".join(CALLS[c][:k]))
        return bad

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, mid-analysis
    try:
        with ThreadPoolExecutor(4) as pool:
            bad = [b for part in pool.map(run, range(4)) for b in part]
    finally:
        sys.setswitchinterval(interval)
    assert not bad
    assert engine.memo.cache_info().currsize <= 64


def test_the_memo_is_bounded(plain: Engine) -> None:
    engine = Engine(load_engine().nlp, memo_size=8)
    texts = [turns[0] for turns in CALLS[:40]]
    for text in texts + texts[::-1]:
        assert _seen(engine, [text], NOWS[0]) == _seen(plain, [text], NOWS[0])
    assert engine.memo.cache_info().currsize == 8
