"""``merbench report``: static HTML pages of result sets (folders of records), fully offline.

:mod:`.sets` reads a result set (every record under a folder, with its verified predictions),
:mod:`.tables` turns records back into the papers' mean ± std tables, :mod:`.build` draws the
pictures (:mod:`merbench.results.plots`) and renders the pages from the templates in ``templates/``.
"""
