"""Study statistics on the cohort table (`elisa stats`): Table 1, group comparisons, post-hoc
tests, correlations with partial correlations, censoring sensitivity, stats.html."""

from elisa.stats.run import StatsResult, run_stats

__all__ = ["StatsResult", "run_stats"]
