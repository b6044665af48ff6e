"""The results table: printed, and after a full run written to results.md and the README."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime

from benchmarks.harness import ROOT, ROUNDS, ROWS


def write_results(started: datetime, seconds: float, *, partial: bool) -> str:
    """The results table; a full run also writes it to results.md and the README."""
    cpu = platform.processor() or platform.machine()
    runner = "`benchmarks/run.py " + " ".join(sys.argv[1:]) + "`" if partial else "`make bench`"
    header = (
        f"# Benchmark results\n\n"
        f"Run {started:%Y-%m-%d %H:%M} UTC by {runner} in {seconds:.0f} s on "
        f"{os.cpu_count()} cores ({cpu}, Python {platform.python_version()}, "
        f"PostgreSQL, gunicorn 4 sync workers, wrk 1 thread). Median of {ROUNDS} rounds; "
        "the load generator, the server and the database share the machine.\n\n"
    )
    lines = [
        "| benchmark | measure | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.benchmark} | {r.measure} | {r.ours} | {r.baseline} | {r.ratio} | {r.target} "
        f"| {r.met} |"
        for r in ROWS
    ]
    text = header + "\n".join(lines) + "\n"
    if partial:  # a few rows must not replace the table of the last full run
        return text
    (ROOT / "benchmarks" / "results.md").write_text(text)
    readme = ROOT / "README.md"
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    content = readme.read_text()
    if start in content and end in content:
        table = text.split("\n", 2)[2]  # without the page title
        before, rest = content.split(start, 1)
        readme.write_text(before + start + "\n" + table + end + rest.split(end, 1)[1])
    return text
