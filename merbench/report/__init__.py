"""``merbench report``: static HTML pages of result sets (folders of records, the store's runs), fully offline.

:mod:`.sets` names a result set (read by :mod:`merbench.results.sets`) and verifies its predictions,
:mod:`.tables` shows the papers' mean ± std tables rebuilt from records (:mod:`merbench.results.rows`),
:mod:`.build` draws the pictures (:mod:`merbench.results.plots`) and renders the pages from the
templates in ``templates/``.
"""
