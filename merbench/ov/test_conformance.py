"""The plugin-author conformance checks, run over merbench's own MER-OV describer and metrics."""

from merbench.contracts.describer import DescribeRequest
from merbench.ov.describers import TransformersDescriber
from merbench.ov.scoring import OVAccuracy, OVAvg, OVRecall
from merbench.testing.conformance import check_describer, check_metric


def test_transformers_describer_conforms(tiny_causal_lm):
    requests = [DescribeRequest(name=f"c{i}", prompt=f"happy w{i} sad") for i in range(3)]
    check_describer(TransformersDescriber(tiny_causal_lm, max_new_tokens=4, batch_size=2, device="cpu"), requests)


def test_ov_metrics_conform():
    y_true, y_pred = [["happy", "sad"], ["angry"]], [["joyful"], ["angry", "calm"]]
    context = {"names": ["a", "b"], "grouping": {"a": [["happy", "joyful"]], "b": []}}
    for metric in (OVAccuracy(), OVRecall(), OVAvg()):
        check_metric(metric, y_true, y_pred, **context)
