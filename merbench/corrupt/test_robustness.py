"""The robustness sweep scores the clean split and every level, with corrupted data at each."""

import numpy as np
import pytest

from merbench.corrupt.robustness import load_sweep, sweep
from merbench.corrupt.conftest import FolderDataset
from merbench.media import read_audio


def test_sweep_scores_every_level(clean_root, tmp_path):
    clean = FolderDataset(clean_root, ["clip_0", "clip_1"])
    reference = {n: read_audio(clean.sample(n).audio) for n in clean.splits()["noise"]}
    seen = []

    def score(dataset):
        seen.append(dataset.corruption)
        # a score that falls with noise: the mean correlation with the clean audio
        corr = [np.corrcoef(reference[s.name], read_audio(s.audio)[: len(reference[s.name])])[0, 1]
                for s in dataset.samples("noise")]
        return {"corr": float(np.mean(corr))}

    spec = [{"corruption": "white-noise", "param": "snr", "values": [20, 0]},
            {"corruption": "blur", "param": "r", "values": [1, 4]}]
    rows = sweep(clean, "noise", spec, score, seed=0, out_root=tmp_path, workers=1, progress=False)
    assert [(r["corruption"], r["value"]) for r in rows] == [("none", None), ("white-noise", 20), ("white-noise", 0),
                                                             ("blur", 1), ("blur", 4)]
    assert seen[0] is None and seen[1]["steps"][0]["params"]["snr"] == 20
    corr = [r["corr"] for r in rows]
    assert corr[0] > corr[1] > corr[2]  # more noise, lower score
    assert corr[3] == pytest.approx(corr[0], abs=1e-3)  # blur leaves audio alone


def test_bad_sweep_file_is_one_line(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("- corruption: blur\n  values: [1, 2]\n")
    with pytest.raises(ValueError, match="'param' is a required property"):
        load_sweep(path)
