"""Built-in encoders: transformers families, openSMILE, and offline models shipped in PyPI packages.

Each module holds one family and imports its heavy libraries lazily, inside ``load``. Input
preparation (audio, faces, frames, subtitles), layer selection and pooling over time are engine
code of the extractor: :mod:`merbench.cache.inputs` and :mod:`merbench.cache.pooling`.
"""
