"""Kill −9 `elisa run` and `elisa mask` at random moments, many times, and print what was left.

    python bench/kill_runs.py --kills 50 --seed 1

Each round starts from the same store and output folder; see `tests/elisa/kill_harness.py` for
what is judged. Prints the counts (store old/new, folder old/new, per command) and every failure;
exits 1 when there was one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.elisa.kill_harness import kill_rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kill_runs-") as work:
        judged = kill_rounds(Path(work), args.kills, args.seed)
    print(f"kills: {args.kills}, seed: {args.seed}")
    print(judged.report())
    return 1 if judged.failures else 0


if __name__ == "__main__":
    sys.exit(main())
