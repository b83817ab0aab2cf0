"""The pictures: the numbers they draw, valid non-blank PNG/SVG files of the right size, byte-identical redraws."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import f1_score

from merbench import EMOTIONS
from merbench.results import plots

ROWS = [  # two seeds of three labelled samples, one unlabelled pool row
    {"name": "a", "seed": 0, "label": "happy", "pred": "happy", "weights": {"audio": 0.7, "text": 0.3}},
    {"name": "b", "seed": 0, "label": "happy", "pred": "sad", "weights": {"audio": 0.5, "text": 0.5}},
    {"name": "c", "seed": 0, "label": "sad", "pred": "sad", "weights": {"audio": 0.2, "text": 0.8}},
    {"name": "a", "seed": 1, "label": "happy", "pred": "happy", "weights": {"audio": 0.9, "text": 0.1}},
    {"name": "b", "seed": 1, "label": "happy", "pred": "happy", "weights": {"audio": 0.6, "text": 0.4}},
    {"name": "c", "seed": 1, "label": "sad", "pred": "angry", "weights": {"audio": 0.4, "text": 0.6}},
    {"name": "p", "seed": 1, "pred": "angry", "weights": {"audio": 1.0, "text": 0.0}},
]


def _record(name, per_seed, metric="waf", corruption=None, row="A+T", split="noise", higher=True):
    scores = {metric: {"mean": float(np.mean([s["scores"][metric] for s in per_seed])),
                       "std": float(np.std([s["scores"][metric] for s in per_seed], ddof=1)) if len(per_seed) > 1 else 0.0,
                       "stderr": 0.0, "n": len(per_seed), "higher_is_better": higher}}
    return {"name": name, "track": name.split("-")[0], "scores": scores, "main_score": {"metric": metric},
            "per_seed": per_seed, "dataset": {"name": "demo", "split": split, "corruption": corruption},
            "config": {"track": {"test_split": split}}, "extra": {"row": row}}


def _level(name, value, scores, param="snr", extra_params=None):
    step = {"name": name, "params": {param: value, **(extra_params or {})}}
    return {"seed": 0, "steps": [step]}, [{"seed": s, "scores": {"waf": v}} for s, v in enumerate(scores)]


def test_confusion_counts_are_the_predictions_counts_and_f1_is_sklearns():
    counts = plots.confusion_counts(ROWS)
    assert counts.sum() == 6  # the pool row has no label
    h, s, a = (EMOTIONS.index(c) for c in ("happy", "sad", "angry"))
    assert counts[h, h] == 3 and counts[h, s] == 1 and counts[s, s] == 1 and counts[s, a] == 1
    labelled = [r for r in ROWS if "label" in r]
    expected = f1_score([r["label"] for r in labelled], [r["pred"] for r in labelled], labels=list(EMOTIONS),
                        average=None, zero_division=0)
    np.testing.assert_allclose(plots.per_class_f1(counts), expected)
    normalised = plots.normalise_rows(counts)
    assert normalised[h, h] == pytest.approx(0.75) and normalised[s, s] == pytest.approx(0.5)
    assert normalised[EMOTIONS.index("neutral")].sum() == 0  # no neutral sample: a zero row, no NaN


def test_weight_means_per_true_class():
    inputs, means, n = plots.class_weight_means(ROWS)
    h, s = EMOTIONS.index("happy"), EMOTIONS.index("sad")
    assert inputs == ["audio", "text"] and n[h] == 4 and n[s] == 2 and n.sum() == 6
    np.testing.assert_allclose(means[h], [np.mean([0.7, 0.5, 0.9, 0.6]), np.mean([0.3, 0.5, 0.1, 0.4])])
    np.testing.assert_allclose(means[s], [0.3, 0.7])
    assert np.isnan(means[EMOTIONS.index("neutral")]).all()


def test_robustness_series_per_corruption_with_the_clean_reference():
    records = [_record("noise-level0", [{"seed": 0, "scores": {"waf": 0.6}}, {"seed": 1, "scores": {"waf": 0.8}}])]
    for i, (name, param, value, scores, extra) in enumerate([
            ("white-noise", "snr", 10, [0.5, 0.7], None), ("white-noise", "snr", 0, [0.2, 0.4], None),
            ("blur", "r", 4, [0.6, 0.6], {"face_fraction": None}), ("blur", "r", 2, [0.7, 0.7], {"face_fraction": None})]):
        corruption, per_seed = _level(name, value, scores, param, extra)
        records.append(_record(f"noise-level{i + 1}", per_seed, corruption=corruption))
    recipe = {"seed": 0, "steps": [{"name": "speech-noise", "params": {"snr": [5, 10]}}, {"name": "blur", "params": {"r": [1]}}]}
    records.append(_record("noise-challenge", [{"seed": 0, "scores": {"waf": 0.1}}], corruption=recipe))  # not a level
    blur, noise = plots.robustness_series(records)
    assert (noise.corruption, noise.param, blur.param) == ("white-noise", "snr", "r")
    (series,) = noise.series
    assert series.label == "A+T" and series.x == [0.0, 10.0]
    np.testing.assert_allclose(series.mean, [0.3, 0.6])
    np.testing.assert_allclose(series.std, [np.std([0.2, 0.4], ddof=1), np.std([0.5, 0.7], ddof=1)])
    assert blur.series[0].x == [2.0, 4.0] and blur.series[0].std == [0.0, 0.0]
    assert noise.clean["A+T"] == pytest.approx((0.7, np.std([0.6, 0.8], ddof=1)))


def test_leaderboard_is_best_first_in_the_metrics_direction():
    records = [("set", _record(n, [{"seed": 0, "scores": {"mse": v}}], metric="mse", higher=False))
               for n, v in (("a", 0.5), ("b", 0.2), ("c", 0.9))]
    assert [e.label for e in plots.leaderboard_entries(records, "mse")] == ["b", "a", "c"]
    records = [("set", _record(n, [{"seed": 0, "scores": {"waf": v}}])) for n, v in (("a", 0.5), ("b", 0.2))]
    assert [e.label for e in plots.leaderboard_entries(records, "waf")] == ["a", "b"]


def _cv_record():
    folds = [{"fold": f, "curve": {"waf": [0.1 * f, 0.2 * f, 0.25 * f], "acc": [0.3, 0.4, 0.5]}} for f in (1, 2, 3)]
    return _record("trainval", [{"seed": 0, "scores": {"waf": 0.5}, "folds": folds},
                                {"seed": 1, "scores": {"waf": 0.4}, "folds": folds[:2]}])


def test_epoch_series_mean_and_spread_over_folds():
    seed0, seed1 = plots.epoch_series(_cv_record(), "waf")
    assert seed0.label == "seed 0" and seed0.x == [1, 2, 3]
    np.testing.assert_allclose(seed0.mean, [0.2, 0.4, 0.5])
    np.testing.assert_allclose(seed0.std, np.std([[0.1, 0.2, 0.25], [0.2, 0.4, 0.5], [0.3, 0.6, 0.75]], axis=0, ddof=1))
    np.testing.assert_allclose(seed1.mean, [0.15, 0.3, 0.375])
    assert plots.epoch_series(_record("semi", [{"seed": 0, "scores": {"waf": 0.5}}]), "waf") == []


def _pictures(stem):
    counts = plots.confusion_counts(ROWS)
    cv = _cv_record()
    records = [_record("noise-level0", [{"seed": 0, "scores": {"waf": 0.6}}])]
    for i, v in enumerate((10, 0)):
        corruption, per_seed = _level("white-noise", v, [0.5 - 0.1 * i, 0.6 - 0.2 * i])
        records.append(_record(f"noise-level{i + 1}", per_seed, corruption=corruption))
    entries = plots.leaderboard_entries([("s", r) for r in records], "waf")
    return {
        "confusion": (plots.plot_confusion(counts, "confusion", stem / "confusion"), (900, 440)),
        "f1": (plots.plot_f1(counts, "f1", stem / "f1"), (640, 340)),
        "weights": (plots.plot_weights(*plots.class_weight_means(ROWS), "weights", stem / "weights"), (700, 340)),
        "robustness": (plots.plot_robustness(plots.robustness_series(records), "robustness", stem / "robustness"),
                       (460, 340)),
        "leaderboard": (plots.plot_leaderboard(entries, "waf", "leaderboard", stem / "leaderboard"),
                        (750, int(100 * (1.2 + 0.28 * 3)))),
        "epochs": (plots.plot_epochs(plots.epoch_series(cv, "waf"), "waf", "epochs", stem / "epochs"), (640, 340)),
    }


@pytest.mark.slow
def test_every_picture_is_a_valid_non_blank_png_and_svg_and_redraws_identically(tmp_path):
    first = _pictures(tmp_path / "one")
    second = _pictures(tmp_path / "two")
    for name, ((png, svg), size) in first.items():
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size == size, name
            pixels = np.asarray(image.convert("L"), dtype=float)
        assert pixels.std() > 10, f"{name} looks blank"
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 20, name
        (png2, svg2), _ = second[name]
        assert png.read_bytes() == png2.read_bytes() and svg.read_bytes() == svg2.read_bytes(), f"{name} differs"
        assert b"<dc:date>" not in svg.read_bytes()
