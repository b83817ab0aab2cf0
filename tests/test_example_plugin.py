"""The example community plugin passes the conformance checks it advertises in CONTRIBUTING.md."""

from merbench.testing.conformance import check_encoder, check_metric


def test_example_encoder_conforms(pseudo_audio):
    from merbench_example.encoder import LogBandEnergy

    check_encoder(LogBandEnergy(), [pseudo_audio, pseudo_audio[:8000]])


def test_example_metric_conforms():
    from merbench_example.metric import MacroF1

    check_metric(MacroF1(), ["happy", "sad", "sad", "neutral"], ["happy", "sad", "neutral", "neutral"])
