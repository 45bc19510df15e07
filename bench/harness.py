"""Benchmark harness: time a block, count API calls, sample peak memory, print figures.

Every benchmark ends with one line of ``key=value`` pairs (the figures of record).
Run one: ``python -m bench.<name>``; run all: ``python -m bench``.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from wix_commerce_sync.connectors.http import percentile


@dataclass
class Measurement:
    wall_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    figures: dict[str, object] = field(default_factory=dict)


@contextmanager
def measure(trace_memory: bool = True) -> Iterator[Measurement]:
    result = Measurement()
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        yield result
    finally:
        result.wall_seconds = time.perf_counter() - started
        if trace_memory:
            result.peak_memory_mb = tracemalloc.get_traced_memory()[1] / 1_000_000
            tracemalloc.stop()


def latency_figures(latencies: list[float], prefix: str = "latency") -> dict[str, str]:
    return {f"{prefix}_p{p}_ms": f"{percentile(latencies, p) * 1000:.1f}" for p in (50, 95, 99)}


def report(name: str, figures: dict[str, object]) -> str:
    """Print a readable block, then the key=value last line; returns that line."""
    print(f"== {name}")
    for key, value in figures.items():
        print(f"   {key:32} {_fmt(value)}")
    line = " ".join(f"{k}={_fmt(v)}" for k, v in figures.items())
    print(line)
    return line


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace(" ", "_")
