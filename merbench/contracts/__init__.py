"""The contracts plugin factories honour, one module per component kind.

Import the module of the kind you implement (``merbench.contracts.encoder``); this package
imports nothing heavy by itself. Each kind's typed card is in :mod:`merbench.contracts.cards`
(light, for ``plugin.py`` modules) and re-exported by the kind's module.
"""

from types import MappingProxyType

#: kind -> ``"module:Class"`` every component of that kind must be an instance of (checked by
#: ``create()``). Tracks return a config dict and commands are click commands: neither has a contract class.
CONTRACTS = MappingProxyType({
    "dataset": "merbench.contracts.dataset:Dataset",
    "encoder": "merbench.contracts.encoder:Encoder",
    "fusion": "merbench.contracts.fusion:Fusion",
    "corruption": "merbench.contracts.corruption:Corruption",
    "describer": "merbench.contracts.describer:Describer",
    "grouper": "merbench.contracts.grouper:Grouper",
    "metric": "merbench.contracts.metric:Metric",
    "transcriber": "merbench.contracts.transcriber:Transcriber",
    "strategy": "merbench.contracts.strategy:Strategy",
    "track": "merbench.contracts.track:Track",
    "protocol": "merbench.contracts.protocol:Protocol",
})
