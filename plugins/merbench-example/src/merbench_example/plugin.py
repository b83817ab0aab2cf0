"""Hook implementations. Keep this module cheap: factories are strings, imported on use, and the
cards come from the light ``merbench.contracts.cards`` (a dict of the card's fields works too)."""

from merbench.contracts.cards import EncoderCard, MetricCard
from merbench.hookspecs import hookimpl


@hookimpl
def register_encoders(register):
    register(
        "log-band-energy",
        "merbench_example.encoder:LogBandEnergy",
        summary="Log energies of 24 linear frequency bands per 25 ms frame (numpy only).",
        card=EncoderCard(modality="audio", input_kind="waveform", dim=24, licence="Apache-2.0", language="any"),
        defaults={"n_bands": 24},
    )


@hookimpl
def register_metrics(register):
    register(
        "macro-f1",
        "merbench_example.metric:MacroF1",
        summary="Unweighted mean of per-class F1 (scikit-learn), for imbalance-sensitive comparisons.",
        card=MetricCard(label_type="discrete", higher_is_better=True),
    )
