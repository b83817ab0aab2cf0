"""The MER training protocol: folds, hyper-parameter search, the vectorised trainer, semi-supervised strategies.

Entry points: :func:`merbench.training.protocol.cross_validate` (one fusion on one feature table, the
whole 5-fold x trials search, test-set predictions) and :func:`merbench.training.protocol.evaluate_seeds`.
"""
