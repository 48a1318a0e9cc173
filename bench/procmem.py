"""This process's memory, as the benchmarks measure it in their child processes."""

from __future__ import annotations

from pathlib import Path


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_mb() -> float:
    """This process's peak resident size. Not getrusage's ru_maxrss: on Linux that
    keeps the high-water mark of the parent's image the child was forked from."""
    return _status_mb("VmHWM")
