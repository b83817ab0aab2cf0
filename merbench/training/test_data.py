import numpy as np
import pytest

from merbench.training.data import FeatureError, FeatureTable, label_indices, require_labels
from merbench.training.topn import rank_features, top_n


def test_label_feature_mismatches_are_one_line_errors():
    with pytest.raises(FeatureError, match="input 'audio' has 2 rows for 3 sample names"):
        FeatureTable(["a", "b", "c"], {"audio": np.zeros((2, 4), np.float32)}, np.zeros(3, np.int64), source="x")
    with pytest.raises(FeatureError, match="duplicate sample names a"):
        FeatureTable(["a", "a"], {"audio": np.zeros((2, 4), np.float32)}, np.zeros(2, np.int64), source="x")
    with pytest.raises(FeatureError, match="labels outside .* b='joy'"):
        label_indices(["happy", "joy"], ["a", "b"], "labels.csv")
    table = FeatureTable(["a", "b"], {"audio": np.zeros((2, 4), np.float32)}, np.array([2, -1]), source="x")
    with pytest.raises(FeatureError, match="1 sample\\(s\\) have no label: b"):
        require_labels(table)


def test_topn_ranks_by_merbench_unimodal_scores():
    ranking = rank_features({"hubert": 0.7, "egemaps": 0.4, "clip": 0.6, "fer": 0.65, "bert": 0.5},
                            {"hubert": "audio", "egemaps": "audio", "clip": "visual", "fer": "visual", "bert": "text"})
    assert ranking == {"audio": ["hubert", "egemaps"], "text": ["bert"], "visual": ["fer", "clip"]}
    assert top_n(ranking, 2, ["audio", "text", "visual"]) == ["hubert", "egemaps", "bert", "fer", "clip"]
    with pytest.raises(KeyError, match="no unimodal score"):
        rank_features({}, {"x": "audio"})
