"""MER-OV: describe clips with an (M)LLM, extract open-vocabulary labels, group synonyms, score sets.

The pipeline is split so each step can be swapped or re-run alone: :mod:`~merbench.ov.prompts`
(versioned prompts), :mod:`~merbench.ov.generation_cache` (SQLite cache of every generation),
:mod:`~merbench.ov.describers` (transformers backends), :mod:`~merbench.ov.labels` (the label
parser), :mod:`~merbench.ov.groupers`, :mod:`~merbench.ov.scoring` (the set-level metric),
:mod:`~merbench.ov.baselines` and :mod:`~merbench.ov.track` (the whole track).
"""
