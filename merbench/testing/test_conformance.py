"""The conformance checks accept a good component and reject a broken one."""

import numpy as np
import pytest

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.testing.conformance import check_encoder


class _MeanEncoder(Encoder):
    name, modality, input_kind = "mean", "audio", "waveform"

    def __init__(self, leak_batch: bool = False):
        self.leak_batch = leak_batch

    def encode(self, batch):
        frames = [np.asarray(w[: len(w) // 160 * 160]).reshape(-1, 160) for w in batch]
        lengths = np.array([len(f) for f in frames])
        out = np.zeros((len(batch), lengths.max(), 2), dtype=np.float32)
        for i, f in enumerate(frames):
            out[i, : len(f), 0] = f.mean(1)
            out[i, : len(f), 1] = len(batch) if self.leak_batch else f.std(1)
        return EncoderOutput([out], lengths)

    def fingerprint(self):
        return {"frame": 160}


def test_check_encoder_accepts_a_good_encoder(pseudo_audio):
    check_encoder(_MeanEncoder(), [pseudo_audio, pseudo_audio[:8000]])


def test_check_encoder_catches_batch_dependence(pseudo_audio):
    with pytest.raises(AssertionError, match="batched"):
        check_encoder(_MeanEncoder(leak_batch=True), [pseudo_audio, pseudo_audio[:8000]])


# -- the spec-level checks run over every registered component: each fires on a broken one ------------
import unittest  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional  # noqa: E402

from merbench.contracts.fusion import BufferDropout, Fusion, FusionOutput  # noqa: E402
from merbench.contracts.metric import Metric  # noqa: E402
from merbench.specs import ComponentSpec  # noqa: E402
from merbench.testing import conformance  # noqa: E402
from merbench.testing.conformance import (  # noqa: E402
    check_card,
    check_factory,
    check_fusion_forward,
    check_metric_score,
    check_search_space,
    check_stackable_dropout,
    check_track,
    parametrize_with_checks,
    spec_checks,
)

HERE = __name__  # factories below are "merbench.testing.test_conformance:<Class>"


def _spec(kind, cls, card=None, **defaults):
    return ComponentSpec(kind, cls.lower(), f"{HERE}:{cls}", card=card, defaults=defaults)


class GoodFusion(Fusion):
    """The smallest stackable fusion: a BufferDropout and a Linear over the concatenated inputs."""

    stackable = True

    def __init__(self, input_dims, num_classes, with_valence=False, *, hidden_dim=8, dropout=0.1):
        super().__init__(input_dims, num_classes, with_valence)
        self.drop = BufferDropout(dropout)
        self.out = nn.Linear(sum(self.input_dims.values()), num_classes + 1)

    def forward(self, features):
        z = self.out(self.drop(torch.cat([features[k] for k in self.input_dims], dim=-1)))
        return FusionOutput(logits=z[..., :-1], valence=z[..., -1] if self.with_valence else None)


class NnDropoutFusion(GoodFusion):
    def __init__(self, input_dims, num_classes, with_valence=False, *, hidden_dim=8, dropout=0.1):
        super().__init__(input_dims, num_classes, with_valence, hidden_dim=hidden_dim, dropout=dropout)
        self.drop = nn.Dropout(dropout)


class FunctionalDropoutFusion(GoodFusion):
    def forward(self, features):
        features = {k: functional.dropout(v, 0.2, self.training) for k, v in features.items()}
        return super().forward(features)


class NoHiddenDimFusion(GoodFusion):
    def __init__(self, input_dims, num_classes, with_valence=False, *, dropout=0.1):
        super().__init__(input_dims, num_classes, with_valence, dropout=dropout)


class WrongShapeFusion(GoodFusion):
    def forward(self, features):
        out = super().forward(features)
        return FusionOutput(logits=out.logits[:, :2], valence=out.valence)


class NotAFusion(nn.Module):
    def __init__(self, input_dims, num_classes, with_valence=False, **hparams):
        super().__init__()


class TextEncoderClaimingAudio(_MeanEncoder):
    modality = "text"


class BackwardsMetric(Metric):
    label_type = "discrete"

    def __call__(self, y_true, y_pred, **context):
        return float(sum(t != p for t, p in zip(y_true, y_pred)))  # counts errors, yet claims higher is better


def test_spec_checks_accept_good_components():
    for check in spec_checks(_spec("fusion", "GoodFusion", card={"stackable": True})):
        check(_spec("fusion", "GoodFusion", card={"stackable": True}))
    check_card(_spec("encoder", "_MeanEncoder", card={"modality": "audio", "dim": 2}))


def test_check_card_catches_a_modality_that_contradicts_the_class():
    spec = _spec("encoder", "TextEncoderClaimingAudio", card={"modality": "audio", "dim": 2, "input_kind": "waveform"})
    with pytest.raises(AssertionError, match="contradicts TextEncoderClaimingAudio: card modality='audio' but modality='text'"):
        check_card(spec)


def test_check_card_catches_a_stackable_claim_the_class_does_not_make():
    spec = ComponentSpec("fusion", "mult", "merbench.fusions.mult:MulTFusion", card={"stackable": True, "input_level": "frame"})
    with pytest.raises(AssertionError, match="card stackable=True but stackable=False"):
        check_card(spec)


def test_check_factory_catches_a_class_outside_the_contract():
    with pytest.raises(AssertionError, match="builds NotAFusion, which does not subclass merbench.contracts.fusion.Fusion"):
        check_factory(_spec("fusion", "NotAFusion"))
    with pytest.raises(AssertionError, match="must be a click command"):
        check_factory(ComponentSpec("command", "x", f"{HERE}:GoodFusion"))
    with pytest.raises(AssertionError, match="cannot import its factory"):
        check_factory(ComponentSpec("fusion", "gone", f"{HERE}:NoSuchFusion"))


def test_check_factory_skips_an_optional_component_whose_extra_is_missing():
    spec = ComponentSpec("encoder", "opt", "merbench_not_installed_extra:Enc",
                         card={"modality": "visual", "dim": 1, "optional": True})
    with pytest.raises(unittest.SkipTest, match="optional extra"):
        check_factory(spec)


def test_check_stackable_dropout_catches_nn_dropout():
    with pytest.raises(AssertionError, match=r"stackable NnDropoutFusion uses torch.nn dropout in drop; use merbench.contracts.fusion.BufferDropout"):
        check_stackable_dropout(_spec("fusion", "NnDropoutFusion", card={"stackable": True}))


def test_check_stackable_dropout_catches_functional_dropout():
    with pytest.raises(AssertionError, match=r"calls torch.nn.functional.dropout in forward\(\)"):
        check_stackable_dropout(_spec("fusion", "FunctionalDropoutFusion", card={"stackable": True}))
    assert functional.dropout.__name__ == "dropout", "the spy is removed again"


def test_check_search_space_catches_a_missing_hyper_parameter():
    with pytest.raises(AssertionError, match=r"NoHiddenDimFusion.__init__ does not take the search space's hyper-parameter\(s\) hidden_dim"):
        check_search_space(_spec("fusion", "NoHiddenDimFusion", card={"stackable": True}))


def test_check_fusion_forward_catches_wrong_logits():
    with pytest.raises(AssertionError, match="logits shape"):
        check_fusion_forward(_spec("fusion", "WrongShapeFusion", card={"stackable": True}))


def test_check_metric_score_catches_a_wrong_direction():
    with pytest.raises(AssertionError, match="a perfect prediction must score best"):
        check_metric_score(_spec("metric", "BackwardsMetric", card={"label_type": "discrete", "higher_is_better": True}))


def test_check_track_catches_a_missing_file_and_an_unknown_metric(tmp_path):
    def track(text):
        (tmp_path / "t.yaml").write_text(text)
        return ComponentSpec("track", "t", "merbench.contracts.track:load_track", defaults={"path": str(tmp_path / "t.yaml")})

    good = "name: t\ntitle: T\nversion: 1\ntrain_split: trainval\ntest_split: semi\nmetrics: [waf]\nmain_metric: waf\n"
    check_track(track(good))
    with pytest.raises(AssertionError, match="names unknown metric"):
        check_track(track(good.replace("[waf]", "[waf, no-such-metric]")))
    with pytest.raises(AssertionError, match="is named 'u'"):
        check_track(track(good.replace("name: t", "name: u")))
    missing = ComponentSpec("track", "t", "merbench.contracts.track:load_track", defaults={"path": str(tmp_path / "gone.yaml")})
    with pytest.raises(AssertionError, match="gone.yaml: no such track file"):  # a YAML left out of the wheel
        check_track(missing)


def test_search_space_params_leave_the_optimiser_its_learning_rate():
    params = conformance.search_space_params()
    assert "lr" not in params and {"hidden_dim", "dropout"} <= set(params)


@parametrize_with_checks([_spec("fusion", "GoodFusion", card={"stackable": True})])
def test_parametrize_with_checks_names_each_test_kind_name_check(spec, check, request):
    assert request.node.callspec.id.startswith("fusion-goodfusion-")
    check(spec)


def _yaml_spec(kind, tmp_path, text):
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    factory = "merbench.contracts.track:load_track" if kind == "track" else "merbench.contracts.protocol:load_protocol"
    return ComponentSpec(kind, "broken", factory, defaults={"path": str(path)})


_TRACK = "name: broken\ntitle: Broken\nversion: 1\ntrain_split: trainval\ntest_split: semi\n"


def test_check_track_accepts_the_builtin_tracks_and_catches_an_unknown_strategy_and_selection(tmp_path):
    from merbench import plugins

    for spec in plugins.get_registry().all("track"):
        check_track(spec)
    with pytest.raises(AssertionError, match="unknown strategy 'pseudo'"):
        check_track(_yaml_spec("track", tmp_path, _TRACK + "metrics: [waf]\nmain_metric: waf\n"
                                                           "strategies: [supervised, pseudo]\n"))
    with pytest.raises(AssertionError, match="cannot pick epochs and trials"):
        check_track(_yaml_spec("track", tmp_path, _TRACK + "metrics: [acc]\nmain_metric: acc\nselection_metric: acc\n"))


def test_check_protocol_catches_an_unknown_field_and_track(tmp_path):
    from merbench.runner.config import ConfigError
    from merbench.testing.conformance import check_protocol

    head = "name: broken\ntitle: Broken\nversion: 1\n"
    with pytest.raises(ConfigError, match="settings: field"):
        check_protocol(_yaml_spec("protocol", tmp_path, head + "settings: {trails: 3}\n"))
    with pytest.raises(AssertionError, match="unknown track 'semi2'"):
        check_protocol(_yaml_spec("protocol", tmp_path, head + "tracks: [semi2]\nsettings: {trials: 3}\n"))
