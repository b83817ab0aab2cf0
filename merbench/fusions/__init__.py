"""Built-in fusion models (torch modules honouring :class:`merbench.contracts.fusion.Fusion`).

Every fusion takes ``{input_name: (B, D)}`` (or ``(B, T, D)`` plus ``<name>__mask`` for frame-level
fusions) and returns a :class:`~merbench.contracts.fusion.FusionOutput`. Dropout probabilities are kept
in buffers (:class:`merbench.contracts.fusion.BufferDropout`) so the vectorised trainer can stack models
with different hyper-parameters and train them together with :mod:`torch.func`.
"""
