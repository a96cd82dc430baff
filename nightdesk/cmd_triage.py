"""`nightdesk triage`: run the triage engine on a text (or one text per stdin line)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from nlp import Verdict, load_engine


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 date-time (e.g. 2026-11-20T21:30:00)"
        ) from None


def render(v: Verdict) -> str:
    """The readable summary: disposition first, then reasons, symptoms, onset, patient."""
    head = v.disposition.upper()
    if v.red_flags:
        head += f"  (red flags: {', '.join(v.red_flags)})"
    lines = [head, *(f"  - {r}" for r in v.reasons)]
    if v.symptoms:
        syms = ", ".join(f"no {s.code}" if s.negated else s.code for s in v.symptoms)
        lines.append(f"symptoms: {syms}")
    if v.exposures:
        lines.append("exposures: " + ", ".join(f"{e.kind} {e.agent}" for e in v.exposures))
    if v.onset:
        lines.append(f"onset: {v.onset.text} ({v.onset.hours:g} h ago)")
    p = v.patient
    bits = [v.species, p.name, f"{p.age:g} y" if p.age is not None else None, p.sex, p.repro,
            p.breed, f"{p.weight:g} kg" if p.weight is not None else None]  # fmt: skip
    if any(bits):
        lines.append("patient: " + ", ".join(b for b in bits if b))
    if v.caller_concern:
        lines.append("caller concern: " + ", ".join(v.caller_concern))
    lines.append(f"summary: {v.summary()}")
    return "\n".join(lines)


@click.command("triage")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON verdict (SPEC section 6).")
@click.option("--now", callback=_parse_now, metavar="ISO-8601",
              help="Reference time for onsets (default: now, local clock).")  # fmt: skip
@click.argument("text")
def triage(as_json: bool, now: datetime, text: str) -> None:
    """Triage TEXT, or with '-' one text per stdin line (one JSON line out per line in)."""
    if text == "-":
        engine = load_engine()
        lines = [line.rstrip("\n") for line in sys.stdin]
        out = sys.stdout
        for verdict in engine.pipe(lines, now=now):
            out.write(json.dumps(verdict.to_dict()) + "\n")
        return
    if not text.strip():
        raise click.UsageError("TEXT is empty: give the caller's words, or '-' to read stdin")
    verdict = load_engine().triage(text, now=now)
    click.echo(json.dumps(verdict.to_dict(), indent=2) if as_json else render(verdict))


def register(cli: click.Group) -> None:
    """Add `triage` to the nightdesk command group."""
    cli.add_command(triage)
