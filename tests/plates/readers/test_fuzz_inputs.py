"""A seeded fuzz run over every reader's fixture exports and their layouts through `elisa run`
(issue 14): every damaged input is refused (exit 2, one line, nothing written) or gives exactly
the wells of the undamaged input. The bigger run with counts: bench/fuzz_inputs.py."""

from __future__ import annotations

import collections

import pytest

from tests.plates.readers.fuzzing import cases, fixture_pairs, run_case

N_CASES = 240  # about 4 per fixture export and ~50 layout mutations: a minute or two
SEED = 20240314


def test_every_reader_and_layout_is_covered():
    formats = {e.parent.name for e, _ in fixture_pairs()}
    assert formats >= {"plates", "bmg", "envision", "gen5", "skanit", "softmax", "tecan"}
    kinds = {c.kind.split(":")[0] for c in cases(N_CASES, SEED)}
    assert {"layout", "xlsx", "truncate", "delete_cell", "hostile"} <= kinds


@pytest.mark.parametrize("chunk", range(4))
def test_damaged_inputs_are_refused_or_read_exactly(tmp_path, chunk):
    todo = cases(N_CASES, SEED)[chunk::4]
    outcomes = collections.Counter()
    bad = []
    for k, case in enumerate(todo):
        folder = tmp_path / str(k)
        folder.mkdir()
        result = run_case(case, folder)
        outcomes[result] += 1
        if result not in ("refused", "accepted-correct"):
            bad.append(f"{result}: {case.export.name} {case.kind} seed {case.seed}")
    assert not bad, bad
    assert outcomes["refused"] > len(todo) // 2  # most damage is refused, not shrugged off
