"""Seeded damage to every reader's fixture exports and their layouts, through `elisa run`.

    python bench/fuzz_inputs.py --cases 3000 --seed 14 [--workers 2]

Prints the counts: cases, refused (exit 2, one line, nothing written), accepted-correct
(exit 0/1 with every well of wells.csv equal to the undamaged run), crashes (a traceback, an
exit code other than 0/1/2, or a refusal that wrote something or printed more than one line),
hangs (over 30 s) and damaged (a changed value reaching wells.csv). Target: 0, 0, 0.
The mutations and the judging are in tests/plates/readers/fuzzing.py.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.plates.readers.fuzzing import FIXTURES, Case, cases, run_case

TIMEOUT_S = 30


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang


def _one(case: Case) -> tuple[Case, str, str]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        with tempfile.TemporaryDirectory() as folder:
            result = run_case(case, Path(folder))
        return case, result, ""
    except _Hang:
        return case, "hang", ""
    except BaseException:  # anything escaping `main` is a crash
        return case, "crash", traceback.format_exc(limit=3)
    finally:
        signal.alarm(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    todo = cases(args.cases, args.seed)
    counts: collections.Counter[str] = collections.Counter()
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    problems = []
    start = time.perf_counter()
    with multiprocessing.Pool(args.workers, maxtasksperchild=200) as pool:
        for case, result, detail in pool.imap_unordered(_one, todo, chunksize=4):
            counts[result] += 1
            by_kind[case.kind][result] += 1
            if result not in ("refused", "accepted-correct"):
                problems.append((case, result, detail))
    elapsed = time.perf_counter() - start
    crashes = counts["crash"] + counts["bad-exit"] + counts["bad-refusal"]
    print(f"cases             {len(todo)}  (seed {args.seed}, {elapsed:.0f} s)")
    print(f"refused           {counts['refused']}")
    print(f"accepted-correct  {counts['accepted-correct']}")
    print(f"crashes           {crashes}")
    print(f"hangs over {TIMEOUT_S} s   {counts['hang']}")
    print(f"damaged values    {counts['damaged']}")
    print("\nby kind (refused / accepted-correct / other):")
    for kind in sorted(by_kind):
        c = by_kind[kind]
        other = sum(c.values()) - c["refused"] - c["accepted-correct"]
        print(f"  {kind:28s} {c['refused']:5d} {c['accepted-correct']:5d} {other:5d}")
    for case, result, detail in problems[:40]:
        export = case.export.relative_to(FIXTURES)
        print(f"\n{result}: {export} + {case.layout.name} {case.kind} seed {case.seed}")
        if detail:
            print(detail.rstrip())
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
