"""Power functions of Westgard rule sets (qc.power) against an independent plain-loop simulation
and against qc.westgard itself; the defaults' false-rejection and detection rates (issue 10)."""

import numpy as np
import pytest

from qc.power import last_run_rejected, monte_carlo_se, power_function
from qc.rule_sets import classic_rule_set, default_rule_set
from qc.westgard import westgard
from tests.qc import independent_westgard as independent

N = 100_000


@pytest.fixture(scope="module")
def default_powers():
    return {n: power_function(default_rule_set(n), n, n_simulated=N) for n in (1, 2, 3, 4)}


@pytest.mark.parametrize("n_controls", [1, 2, 3, 4])
def test_default_rule_sets_reject_at_most_5_percent_of_good_runs(default_powers, n_controls):
    power = default_powers[n_controls]
    assert power.n_simulated == N
    # the bound holds beyond Monte Carlo error (3 SE)
    assert power.pfr + 3 * monte_carlo_se(power.pfr, N) <= 0.05


def test_three_controls_detect_a_3_sd_shift_in_90_percent_of_runs(default_powers):
    power = default_powers[3]
    assert power.ped_se[2] - 3 * monte_carlo_se(power.ped_se[2], N) >= 0.90


def test_power_grows_with_the_error(default_powers):
    for power in default_powers.values():
        assert power.pfr < power.ped_se[0] < power.ped_se[1] < power.ped_se[2] < power.ped_se[3]
        assert power.pfr < power.ped_re[0] < power.ped_re[1] < power.ped_re[2]


def test_classic_three_level_set_rejects_about_19_percent_of_good_runs():
    # the measurement with qc.westgard on 20,000 runs: 19.1 %
    power = power_function(classic_rule_set(3), 3, n_simulated=N)
    assert power.pfr == pytest.approx(0.191, abs=4 * monte_carlo_se(0.191, 20_000))


@pytest.mark.parametrize(
    ("n_controls", "error"),
    [
        (1, {}),
        (2, {}),
        (3, {}),
        (4, {}),
        (3, {"shift": 2.0}),
        (3, {"shift": 1.0}),
        (2, {"factor": 2.0}),
        (3, {"factor": 1.5}),
    ],
)
def test_simulation_agrees_with_an_independent_loop(default_powers, n_controls, error):
    rule_set = default_rule_set(n_controls)
    power = default_powers[n_controls]
    if not error:
        vectorised = power.pfr
    elif "shift" in error:
        vectorised = power.ped_se[[1.0, 2.0, 3.0, 4.0].index(error["shift"])]
    else:
        vectorised = power.ped_re[[1.5, 2.0, 3.0].index(error["factor"])]
    n_loop = 20_000
    looped = independent.rejection_rate(
        [r.label for r in rule_set.reject_rules], n_controls, n_loop, seed=11, **error
    )
    tolerance = 4 * np.hypot(monte_carlo_se(looped, n_loop), monte_carlo_se(vectorised, N))
    assert abs(looped - vectorised) <= tolerance, (looped, vectorised)


@pytest.mark.parametrize("n_controls", [1, 2, 3, 4])
@pytest.mark.parametrize("which", ["default", "classic"])
def test_vectorised_last_run_equals_westgard_on_the_same_series(n_controls, which):
    rule_set = (default_rule_set if which == "default" else classic_rule_set)(n_controls)
    rng = np.random.default_rng(5)
    z = rng.standard_normal((400, 11, n_controls)) * 1.6 + rng.choice([0, 1.5], (400, 1, 1))
    names = [f"c{i}" for i in range(n_controls)]
    expected = [
        any(h.reject and h.run == 10 for h in westgard(series, names, rule_set)) for series in z
    ]
    assert sum(expected) > 50  # the comparison covers many rejections
    assert last_run_rejected(z, rule_set).tolist() == expected


def test_the_seed_fixes_every_number():
    a = power_function(default_rule_set(2), 2, n_simulated=N, seed=3)
    b = power_function(default_rule_set(2), 2, n_simulated=N, seed=3)
    c = power_function(default_rule_set(2), 2, n_simulated=N, seed=4)
    assert a == b and a != c
