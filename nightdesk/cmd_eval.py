"""`nightdesk eval calls`: call scenarios through the real line, with a simulated owner; metrics."""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nightdesk.eval_calls import CallResult

_FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


def _rate(hits: int, of: int) -> dict[str, Any]:
    return {"rate": round(hits / of, 4) if of else None, "hits": hits, "of": of}


def metrics(results: list[CallResult]) -> dict[str, Any]:
    """The figures of a group of calls (see `nightdesk eval calls --help`)."""
    emergencies = [r for r in results if r.scenario.disposition == "emergency"]
    others = [r for r in results if r.scenario.disposition != "emergency"]
    turns = [r.turns for r in results]
    return {
        "n": len(results),
        "er_recall": _rate(sum(r.er_heard for r in emergencies), len(emergencies)),
        "false_er": _rate(sum(r.er_heard for r in others), len(others)),
        "accuracy": _rate(sum(r.got == r.scenario.disposition for r in results), len(results)),
        "under_triage": sum(r.under_triage for r in results),
        "turns_median": statistics.median(turns) if turns else None,
        "turns_max": max(turns, default=None),
        "not_sure": sum(r.not_sure for r in results),
        "lost": sum(r.lost for r in results),
        "runaway": sum(r.runaway for r in results),
        "http_errors": sum(r.http_errors for r in results),
        "harness_errors": sum(r.error is not None for r in results),
    }


def report(results: list[CallResult]) -> dict[str, Any]:
    """Metrics per kind (in the order kinds first appear) and overall, and every call."""
    kinds: dict[str, list[CallResult]] = {}
    for r in results:
        kinds.setdefault(r.scenario.kind, []).append(r)
    return {
        "kinds": {kind: metrics(group) for kind, group in kinds.items()},
        "overall": metrics(results),
        "calls": [r.to_dict() for r in results],
    }


def _fmt_rate(rate: dict[str, Any]) -> str:
    return "-" if rate["rate"] is None else f"{rate['rate']:.2f} ({rate['hits']}/{rate['of']})"


COLUMNS = (
    "n",
    "ER recall",
    "false ER",
    "accuracy",
    "under",
    "turns med/max",
    "not sure",
    "lost",
    "runaway",
)


def table(rep: dict[str, Any]) -> str:
    rows = [("kind", *COLUMNS)]
    for name, m in [*rep["kinds"].items(), ("overall", rep["overall"])]:
        turns = "-" if m["turns_max"] is None else f"{m['turns_median']:g} / {m['turns_max']}"
        rows.append(
            (
                name,
                str(m["n"]),
                _fmt_rate(m["er_recall"]),
                _fmt_rate(m["false_er"]),
                _fmt_rate(m["accuracy"]),
                str(m["under_triage"]),
                turns,
                str(m["not_sure"]),
                str(m["lost"]),
                str(m["runaway"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == len(rows) - 2:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def transcript(r: CallResult) -> str:
    s = r.scenario
    got = r.got or "no ticket (lost)"
    head = (
        f"--- {s.id} ({s.kind}) by {r.channel} from {r.caller}: gold {s.disposition}, "
        f"got {got}; ER guidance {'heard' if r.er_heard else 'not heard'}; "
        f"{r.turns} owner turns, {r.not_sure} not sure"
    )
    lines = [head + (", RUNAWAY" if r.runaway else "")]
    if s.why:
        lines.append(f"    why: {s.why}")
    if r.error:
        lines.append(f"    harness error: {r.error}")
    width = max((len(role) for role, _ in r.transcript), default=0)
    lines += [f"    {role.rjust(width)}: {text}" for role, text in r.transcript]
    return "\n".join(lines)


@click.group("eval")
def eval_group() -> None:
    """Measure the line end to end."""


@eval_group.command("calls")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--sms", is_flag=True, help="Text the SMS line instead of calling the voice line.")
@click.option("--show", is_flag=True, help="Print each wrong call's transcript, gold vs got.")
@click.option("--limit", type=click.IntRange(min=1), help="Play only the first N scenarios.")
@click.option("--seed", type=int, help="Shuffle the scenarios with this seed (before --limit).")
@click.option(
    "--jobs", default=4, show_default=True, type=click.IntRange(1, 32), help="Calls played at once."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (calls included).")
@click.option(
    "--policy",
    type=_FILES,
    help="The clinic policy to close and serve [default: config/clinics/example.yaml].",
)
@click.option("--keep", is_flag=True, help="Keep the run's data dir (server log, SQLite).")
def calls(
    files: tuple[Path, ...],
    sms: bool,
    show: bool,
    limit: int | None,
    seed: int | None,
    jobs: int,
    as_json: bool,
    policy: Path | None,
    keep: bool,
) -> None:
    """Play call scenarios (JSONL, ../shared/triage/SCENARIOS.md) through the real line.

    Starts `nightdesk serve` on embedded defaults in a temporary data dir, signature-checked and
    closed all day; a simulated owner answers each question from the scenario's facts. Prints per
    kind and overall: ER recall (emergencies that heard ER guidance), false-ER rate
    (non-emergencies that heard it), ticket disposition accuracy, under-triage (ticket below gold,
    or an emergency without ER guidance), owner turns per call, "not sure" answers, lost tickets
    (none within 30 s) and runaways (more than 30 owner turns). Exits 1 only when the harness
    itself fails.
    """
    from nightdesk.eval_calls import (
        EXAMPLE_POLICY,
        HarnessError,
        load_scenarios,
        play_all,
        running_line,
    )

    try:
        scenarios = load_scenarios(files)
    except HarnessError as exc:
        raise click.ClickException(str(exc)) from None
    if seed is not None:
        random.Random(seed).shuffle(scenarios)
    scenarios = scenarios[:limit] if limit else scenarios
    channel = "sms" if sms else "voice"
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="nightdesk-eval-"))
    bar = click.progressbar(length=len(scenarios), label=f"{channel} scenarios", file=sys.stderr)
    try:
        with running_line(workdir, policy_source=policy or EXAMPLE_POLICY) as line, bar:
            results = play_all(line, scenarios, sms=sms, jobs=jobs, done=lambda _: bar.update(1))
    except HarnessError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if keep:
            click.echo(f"data kept in {workdir}", err=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rep = report(results)
    elapsed = time.monotonic() - started
    if as_json:
        click.echo(json.dumps({"channel": channel, "seconds": round(elapsed, 1), **rep}, indent=1))
    else:
        click.echo(
            f"{len(results)} scenarios by {channel} ({', '.join(map(str, files))}), "
            f"{jobs} at a time, {elapsed:.1f} s"
        )
        click.echo(table(rep))
        overall = rep["overall"]
        if overall["http_errors"] or overall["harness_errors"]:
            click.echo(
                f"HTTP errors from the line: {overall['http_errors']}; "
                f"harness errors: {overall['harness_errors']}"
            )
        if show:
            for r in results:
                if r.wrong:
                    click.echo("\n" + transcript(r))
    if rep["overall"]["harness_errors"]:
        sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(eval_group)
