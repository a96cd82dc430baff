"""The CSR's one-line summary of a verdict: who, the red flags in the caller's words, what else,
since when, and what the caller asked, so that nobody re-asks what the owner already said."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verdict import Symptom, Verdict

ABSENT = {"bleeding": "no blood", "not_eating": "eating", "not_drinking": "drinking",
          "unable_to_urinate": "peeing", "unable_to_stand": "walking",
          "breathing_difficulty": "breathing normally"}  # fmt: skip
FLAG_NAMES = {"severe_gi": "severe GI", "urinary_obstruction": "urinary blockage",
              "foreign_body": "foreign body", "eye_trauma": "eye injury",
              "severe_pain": "severe pain", "neuro": "neurological"}  # fmt: skip
# the red flag an exposure of this kind raises: the flag's label names the agent
AGENT_FLAG = {"toxin": "toxin", "object": "foreign_body"}
CONCERNS = {"asks_if_emergency": "asks if urgent", "says_emergency": "says it is an emergency",
            "asks_human": "asks for a person"}  # fmt: skip
# the onset the engine gives an acute sign when no time is said (engine.ACUTE_NOW): not the
# caller's words, so not quoted (no onset rule reads a bare "now")
INFERRED_ONSET = "now"
REASON_QUOTE = re.compile(r"'(?P<quote>.+)' is .* \[concern\.(?P<concern>\w+)\]$")


def summarise(v: Verdict) -> str:
    """One plain sentence for a CSR: who, what (red flags first, in the caller's words), since
    when, what is not happening, and what the caller asked."""
    who = (v.species or "pet").replace("_", " ").capitalize()
    bits = [b for b in (v.patient.name, _age(v.patient.age)) if b]
    head = f"{who} ({', '.join(bits)})" if bits else who
    flags = _red_flags(v)
    quotes = [q for q, _label in flags]
    present = [s for s in v.symptoms if not s.negated]
    said = [f"{_counted(v, q, present)} ({label})" for q, label in flags]
    said += [_symptom(v, s) for s in present if not any(_covered(s, q) for q in quotes)]
    when = v.onset.text if v.onset and v.onset.text != INFERRED_ONSET else ""
    if said and when and when not in said[0] and not any(q in when for q in quotes[:1]):
        said[0] += f" {when}"  # (not twice: 'whimpering all night', 'just collapsed')
    parts = ["; ".join(said)] if said else []
    flagged = {AGENT_FLAG[e.kind] for e in v.exposures if AGENT_FLAG[e.kind] in v.red_flags}
    parts += [f"{e.kind} exposure: {e.agent}" for e in v.exposures
              if AGENT_FLAG[e.kind] not in flagged]  # fmt: skip
    parts += [ABSENT.get(s.code, f"no {s.code.replace('_', ' ')}") for s in v.symptoms if s.negated]
    parts += _concerns(v)
    body = "; ".join(parts) if parts else f"{v.intent.replace('_', ' ')} request"
    return f"{head}: {body}."


def _red_flags(v: Verdict) -> list[tuple[str, str]]:
    """(the caller's words, the flag's label) of each red flag: 'hit by a car' (trauma), 'ate rat
    poison' (toxin: rodenticide), 'ate a grape' (toxin: grapes/raisins; doubtful: a question)."""
    evidence = {e.code: e for e in v.red_flag_evidence}
    out = []
    for code in v.red_flags:
        label = FLAG_NAMES.get(code, code.replace("_", " "))
        agents = [e.agent for e in v.exposures if AGENT_FLAG[e.kind] == code]
        if agents:
            label += ": " + ", ".join(agents)
        ev = evidence.get(code)
        if ev is None or not ev.text:
            out.append((label, "red flag"))
            continue
        if ev.strength == "doubtful":
            label += f"; doubtful: {ev.why}" if ev.why else "; doubtful"
        out.append((ev.text, label))
    return out


def _covered(s: Symptom, quote: str) -> bool:
    """A sign already quoted with its red flag ('hit by a car' is the wound's own words)."""
    return s.text in quote or quote in s.text


def _counted(v: Verdict, quote: str, present: list[Symptom]) -> str:
    """A red flag's words with the episodes the caller counted, when the words lack the number
    ('seizures' of '2 seizures tonight')."""
    for s in present:
        n = v.counts.get(s.code)
        if n and n > 1 and _covered(s, quote) and str(n) not in quote.split():
            return f"{quote} {n} times"
    return quote


def _symptom(v: Verdict, s: Symptom) -> str:
    """The sign's name, with the number of episodes when the caller counted them."""
    n = v.counts.get(s.code)
    name = s.code.replace("_", " ")
    return f"{name} {n} times" if n and n > 1 else name


def _concerns(v: Verdict) -> list[str]:
    """What the caller asked or said of the urgency, in their words where a reason quotes them."""
    quotes: dict[str, str] = {}
    for reason in v.reasons:
        m = REASON_QUOTE.search(reason)
        if m:
            quotes.setdefault(m["concern"], m["quote"])
    out = []
    for c in v.caller_concern:
        label = CONCERNS.get(c, c.replace("_", " "))
        out.append(f'{label} ("{quotes[c]}")' if c in quotes else label)
    return out


def _age(age: float | None) -> str | None:
    """'8 y', '10 wk', '6 mo'."""
    if age is None:
        return None
    if age < 1:
        weeks = round(age * 52)
        return f"{weeks} wk" if weeks < 17 else f"{round(age * 12)} mo"
    return f"{age:g} y"
