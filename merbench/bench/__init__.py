"""``merbench bench``: benchmark suites (grids of run configs), their result sets, history and gate.

:mod:`~merbench.bench.suite` loads and expands a suite, :mod:`~merbench.bench.run` runs its cells
and compares the result set with a baseline, :mod:`~merbench.bench.history` keeps one line per run.
"""
