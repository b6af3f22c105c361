"""The cohort's numeric rules, apart from the build so the command line can offer them cheaply.

`BELOW_POLICIES` maps each --below choice to the factor applied to the LLOQ limit;
`MAX_RESULTS_CV_PCT` is the CV (%) over a subject's results above which the value is excluded.
"""

from __future__ import annotations

import math

MAX_RESULTS_CV_PCT = 30.0
BELOW_POLICIES = {"lloq/2": 0.5, "lloq/sqrt2": 1 / math.sqrt(2), "lloq": 1.0}
