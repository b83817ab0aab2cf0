"""The contracts plugin factories honour, one module per component kind.

Import the module of the kind you implement (``merbench.contracts.encoder``); this package
imports nothing heavy by itself.
"""
