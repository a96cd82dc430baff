"""Short phrases for Twilio <Gather hints>: the words callers use for the signs we listen for."""

from __future__ import annotations

from functools import lru_cache

from .tokenizer import load_jsonl

MAX_HINTS = 100


@lru_cache(maxsize=1)
def _hints() -> tuple[str, ...]:
    out: list[str] = []
    for name in ("symptoms.jsonl", "exposures.jsonl"):
        for row in load_jsonl(name):
            for phrase in row["phrases"]:
                if "|" in phrase or "[" in phrase or len(phrase) > 30:
                    continue
                p = phrase.rstrip("+")
                if p not in out:
                    out.append(p)
                break
    return tuple(out[:MAX_HINTS])


def speech_hints() -> list[str]:
    """Up to 100 short phrases (Twilio accepts comma-separated hints)."""
    return list(_hints())
