"""Disposition rules: read patterns/dispositions.jsonl and apply it to a set of facts."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tokenizer import load_jsonl

LEVEL = {"routine": 0, "urgent": 1, "emergency": 2}


@dataclass(frozen=True, slots=True)
class DispositionRule:
    """One readable rule: level, optional red flag, and the facts that make it fire."""

    id: str
    level: str
    say: str
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    red_flag: str | None = None

    def fires(self, facts: dict[str, str] | set[str]) -> bool:
        """True when the facts satisfy the rule."""
        keys = facts if isinstance(facts, set) else set(facts)
        return (
            keys.issuperset(self.all)
            and (not self.any or not keys.isdisjoint(self.any))
            and keys.isdisjoint(self.none)
        )

    def quote(self, facts: dict[str, str]) -> str:
        """The caller's words behind the first fact that made the rule fire."""
        for f in self.all + self.any:
            if f in facts:
                return facts[f]
        return ""


def load_dispositions() -> list[DispositionRule]:
    """All rules of patterns/dispositions.jsonl, in file order."""
    rules = []
    for row in load_jsonl("dispositions.jsonl"):
        rules.append(
            DispositionRule(
                id=row["id"],
                level=row["level"],
                say=row["say"],
                all=tuple(row.get("all", ())),
                any=tuple(row.get("any", ())),
                none=tuple(row.get("none", ())),
                red_flag=row.get("red_flag"),
            )
        )
    return rules


class RuleIndex:
    """Rules indexed by the facts they need, so only plausible rules are checked."""

    def __init__(self, rules: list[DispositionRule]) -> None:
        self.rules = rules
        self.by_fact: dict[str, list[int]] = {}
        for i, r in enumerate(rules):
            for f in set(r.all) | set(r.any):
                self.by_fact.setdefault(f, []).append(i)

    def fired(self, facts: dict[str, str]) -> list[DispositionRule]:
        """Rules that fire, in file order."""
        keys = set(facts)
        cand: set[int] = set()
        by_fact = self.by_fact
        for f in keys:
            idx = by_fact.get(f)
            if idx:
                cand.update(idx)
        rules = self.rules
        return [rules[i] for i in sorted(cand) if rules[i].fires(keys)]


@dataclass(slots=True)
class Decision:
    """The disposition the facts decide, and what is left of it if each red flag is denied."""

    level: str
    red_flags: list[str]
    reasons: list[str]
    fallback: str = "routine"  # the highest level of the rules that raise no red flag
    quotes: dict[str, list[str]] = field(default_factory=dict)  # red flag -> the words behind it


def decide(index: RuleIndex, facts: dict[str, str]) -> Decision:
    """The highest firing level wins; the red flags of that level, with their words."""
    fired = index.fired(facts)
    if not fired:
        return Decision("routine", [], [])
    top = max(LEVEL[r.level] for r in fired)
    level = next(k for k, v in LEVEL.items() if v == top)
    flags: list[str] = []
    reasons: list[str] = []
    quotes: dict[str, list[str]] = {}
    rest = 0
    for r in fired:
        if r.red_flag:
            if LEVEL[r.level] == top and r.red_flag not in flags:
                flags.append(r.red_flag)
            quotes.setdefault(r.red_flag, []).extend(facts[f] for f in r.all + r.any if f in facts)
        else:
            rest = max(rest, LEVEL[r.level])
        if LEVEL[r.level] == top or (top > 0 and r.id.startswith("concern.")):
            q = r.quote(facts)
            said = f"'{q}' is {r.say}" if q else r.say
            reasons.append(f"{level}: {said} [{r.id}]")
    fallback = next(k for k, v in LEVEL.items() if v == rest)
    return Decision(level, flags, reasons[:6], fallback, quotes)
