"""Kill −9 during `elisa run` and `elisa mask`: the store and the output folder are each the
state before or after the command, never a mix (issue 14, finding 7; the 50-kill run is
`bench/kill_runs.py`)."""

from __future__ import annotations

from tests.elisa.kill_harness import kill_rounds


def test_five_kills_at_random_moments_leave_whole_states(tmp_path):
    judged = kill_rounds(tmp_path, kills=5, seed=14)
    assert judged.failures == [], judged.report()
    assert sum(n for key, n in judged.counts.items() if key.endswith("killed")) >= 3
