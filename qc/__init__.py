"""Quality rules as pure functions on arrays and tables.

Plain statistics, nothing about 4PL; data problems become flags and codes, never exceptions
(QCError only for misuse, e.g. arrays of different lengths). One plate (DESIGN 4.5):

- ``qc.codes``: fail codes, warning codes, flags, ``join_flags``.
- ``qc.standards``: ``judge_standards`` (recovery per level, curve acceptance, lloq/uloq).
- ``qc.controls``: ``control_limits``, ``judge_controls`` (2/3 overall, 50 % per control).
- ``qc.replicates``: ``replicate_cv``, ``high_cv_threshold``, ``is_high_cv``.
- ``qc.intra_assay``: ``assess_intra_assay`` (pooled CV, χ² test, share of high_cv groups).
- ``qc.plate_verdict``: ``fit_fail_codes``, ``plate_verdict``.

Across runs: ``qc.levey_jennings`` (limits, ``lj_westgard``), ``qc.westgard`` (rule hits),
``qc.rule_sets`` (rules as data, defaults), ``qc.power`` (Pfr/Ped by seeded simulation),
``qc.sigma`` (sigma metrics and the sigma-rules recommendation), ``qc.inter_assay``.
"""
