"""Orchestration of ``merbench run``: features through the cache, every track, records and tables.

``run(config)`` is what the CLI calls; see :mod:`merbench.runner.run`.
"""
