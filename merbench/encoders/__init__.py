"""Built-in encoders: transformers families, openSMILE, and offline models shipped in PyPI packages.

Each module holds one family and imports its heavy libraries lazily, inside ``load``; layer
selection and pooling live in :mod:`merbench.encoders.layers`, input preparation (audio, faces,
frames, subtitles) in :mod:`merbench.encoders.inputs`.
"""
