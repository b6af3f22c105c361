"""An independent, plain-loop simulation of Westgard rule sets for checking qc.power.

Written from the rule definitions (methods §6, qc.rule_sets docstring), without numpy
vectorisation and without qc.westgard: one simulated run at a time, every rule applied to lists.
"""

from __future__ import annotations

import random

RULE_SPECS = {  # name -> (m, k, limit)
    "1-3s": (1, 1, 3.0),
    "2-2s": (2, 2, 2.0),
    "2of3-2s": (2, 3, 2.0),
    "3-1s": (3, 3, 1.0),
    "4-1s": (4, 4, 1.0),
    "10-x": (10, 10, 0.0),
    "6-x": (6, 6, 0.0),
}


def parse(label: str) -> tuple[str, set[str]]:
    name, _, where = label.partition("@")
    return name, set(where.split("+")) if where else set()


def fires(label: str, history: list[list[float]]) -> bool:
    """Whether the rule completes a pattern at the last run of ``history`` (runs of results)."""
    name, where = parse(label)
    now = history[-1]
    if name == "R-4s":
        return max(now) > 2.0 and min(now) < -2.0
    m, k, limit = RULE_SPECS[name]
    if k == 1:
        return any(abs(v) > limit for v in now)
    for side in (1, -1):
        if "run" in where and sum(side * v > limit for v in now) >= m:
            return True
        if "control" in where:
            for c in range(len(now)):
                if side * now[c] > limit:
                    window = [run[c] for run in history[-k:]]
                    if sum(side * v > limit for v in window) >= m:
                        return True
        if "pooled" in where:
            flat = [v for run in history for v in run]
            n_now = len(now)
            for j in range(len(flat) - n_now, len(flat)):
                if side * flat[j] > limit:
                    window = flat[max(0, j - k + 1) : j + 1]
                    if sum(side * v > limit for v in window) >= m:
                        return True
    return False


def rejection_rate(
    labels: list[str],
    n_controls: int,
    n_runs: int,
    seed: int,
    shift: float = 0.0,
    factor: float = 1.0,
    history: int = 10,
) -> float:
    """Share of runs under test rejected; the error is in the run under test only."""
    rng = random.Random(seed)
    rejected = 0
    for _ in range(n_runs):
        runs = [[rng.gauss(0, 1) for _ in range(n_controls)] for _ in range(history)]
        runs.append([rng.gauss(0, 1) * factor + shift for _ in range(n_controls)])
        if any(fires(label, runs) for label in labels):
            rejected += 1
    return rejected / n_runs
