"""Benchmark: seconds per power function (Pfr and 7 Ped values, 100,000 simulated runs each) of
the default Westgard rule sets.

Run on demand: `python bench/bench_power.py`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import time

from qc.power import N_SIMULATED, power_function
from qc.rule_sets import default_rule_set


def main() -> None:
    for n_controls in (1, 2, 3, 4):
        start = time.perf_counter()
        power = power_function(default_rule_set(n_controls), n_controls)
        seconds = time.perf_counter() - start
        print(
            f"{n_controls} control(s): {seconds:.2f} s for 8 × {N_SIMULATED:,} runs; "
            f"Pfr {power.pfr:.2%}, Ped 3 SD {power.ped_se[2]:.2%}  ({power.rules})"
        )


if __name__ == "__main__":
    main()
