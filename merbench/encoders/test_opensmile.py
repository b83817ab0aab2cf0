"""openSMILE encoders give exactly what the ``opensmile`` API gives for the same wav."""

from __future__ import annotations

import numpy as np
import pytest

from merbench.encoders.opensmile import OpenSmileEncoder
from merbench.testing.conformance import check_encoder


@pytest.mark.parametrize("feature_set,dim", [("eGeMAPSv02", 88), ("IS09", 384), ("IS10", 1582), ("ComParE_2016", 6373)])
def test_matches_the_opensmile_api(pseudo_audio, feature_set, dim):
    import opensmile

    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                            feature_level=opensmile.FeatureLevel.Functionals)
    want = smile.process_signal(pseudo_audio, 16000).to_numpy(dtype=np.float32)[0]
    encoder = OpenSmileEncoder(feature_set)
    encoder.load("cpu")
    out = encoder.encode([pseudo_audio, pseudo_audio[:16000]])
    assert out.hidden_states[0].shape == (2, 1, dim) and list(out.lengths) == [1, 1]
    np.testing.assert_array_equal(out.hidden_states[0][0, 0], want)


def test_conformance_and_low_level_descriptors(pseudo_audio):
    check_encoder(OpenSmileEncoder("eGeMAPSv02"), [pseudo_audio, pseudo_audio[:12000]])
    lld = OpenSmileEncoder("eGeMAPSv02", feature_level="lld")
    lld.load("cpu")
    out = lld.encode([pseudo_audio, pseudo_audio[:16000]])
    assert out.lengths[0] > out.lengths[1] > 50 and out.hidden_states[0].shape[2] == 25


def test_unknown_feature_set_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown openSMILE feature set 'IS99'"):
        OpenSmileEncoder("IS99")
