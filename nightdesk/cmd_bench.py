"""`nightdesk bench ...`: load and speed benchmarks (each area adds its subcommand here)."""

from __future__ import annotations

import click


@click.group("bench")
def bench() -> None:
    """Benchmarks: run one and read its report."""


def register(cli: click.Group) -> None:
    from nightdesk.bench_faults import faults
    from nightdesk.bench_nlp import nlp_bench
    from nightdesk.bench_queue import queue
    from nightdesk.bench_voice import voice

    bench.add_command(voice)
    bench.add_command(nlp_bench)
    bench.add_command(queue)
    bench.add_command(faults)
    cli.add_command(bench)
