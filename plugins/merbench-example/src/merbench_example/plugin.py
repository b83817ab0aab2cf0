"""Hook implementations. Keep this module cheap: factories are strings, imported on use."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_encoders(register):
    register(
        "log-band-energy",
        "merbench_example.encoder:LogBandEnergy",
        summary="Log energies of 24 linear frequency bands per 25 ms frame (numpy only).",
        card={"modality": "audio", "dim": 24, "licence": "Apache-2.0", "language": "any"},
        defaults={"n_bands": 24},
    )


@hookimpl
def register_metrics(register):
    register(
        "macro-f1",
        "merbench_example.metric:MacroF1",
        summary="Unweighted mean of per-class F1 (scikit-learn), for imbalance-sensitive comparisons.",
        card={"label_type": "discrete", "higher_is_better": True},
    )
