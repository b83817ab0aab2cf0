"""The MER-OV must-show table on the demo: Empty, Random, a classifier's top classes and SmolLM2,
under the demo's shipped grouping and the offline grouper, then a re-run served from the cache.

    MERBENCH_CACHE=/tmp/mb python benchmarks/ov_demo_table.py --dataset demo:standard --limit 32

The classifier here is a TF-IDF + logistic-regression model of the English subtitles trained on
Train&Val (a text-only stand-in for the fusion classifier `merbench run` passes in).
"""

from __future__ import annotations

import argparse
import json
import time


def subtitle_classifier_probs(dataset, names):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from merbench import EMOTIONS

    train = [s for s in dataset.samples("trainval") if s.label]
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1), LogisticRegression(max_iter=1000))
    model.fit([s.subtitle_en or s.subtitle or "" for s in train], [s.label for s in train])
    samples = {s.name: s for s in dataset.samples("ov")}
    probs = model.predict_proba([samples[n].subtitle_en or samples[n].subtitle or "" for n in names])
    order = [list(model.classes_).index(e) for e in EMOTIONS]
    return {n: p[order] for n, p in zip(names, probs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--out", default=None, help="write result records here")
    args = parser.parse_args()

    from rich.console import Console

    from merbench.datasets import open_dataset
    from merbench.ov.track import format_table, run_ov_track

    console = Console(width=130)
    dataset = open_dataset(args.dataset)
    names = dataset.splits()["ov"]
    probs = subtitle_classifier_probs(dataset, names)
    common = dict(grouper=["file", "offline"], seeds=[0, 1, 2], classifier_probs=probs, classifier_inputs=("text",))

    all_rows = run_ov_track(dataset, describer=None, **common)
    console.print(format_table(all_rows, title=f"Baselines on all {len(names)} demo OV clips (×100)"))

    began = time.perf_counter()
    rows = run_ov_track(dataset, describer="smollm2", limit=args.limit, out=args.out, **common)
    cold = time.perf_counter() - began
    console.print(format_table(rows, title=f"First {args.limit} demo OV clips, with SmolLM2 (×100)"))
    smol = rows[-1]
    rate = smol["clips_per_second"]
    console.print(f"SmolLM2 first pass: {cold:.1f} s for {args.limit} clips in total; generation "
                  f"{json.dumps(smol['generation'])}; "
                  + (f"{rate:.3f} clips/s (describe+extract)" if rate else "everything came from the cache"))
    began = time.perf_counter()
    again = run_ov_track(dataset, describer="smollm2", limit=args.limit, **common)
    console.print(f"SmolLM2 re-run: {time.perf_counter() - began:.1f} s; generation {json.dumps(again[-1]['generation'])}; "
                  f"same scores: {[r['avg'] for r in again] == [r['avg'] for r in rows]}")

    console.print("Grouper agreement (|shipped - offline| of Avg, points):")
    for table in (all_rows, rows):
        pairs = {}
        for row in table:
            pairs.setdefault(row["model"], {})[row["grouping"]] = row["avg"]
        for model, by in pairs.items():
            console.print(f"  n={table[0]['n']:>3} {model:<24} shipped {100 * by['shipped']:6.2f}  "
                          f"offline {100 * by['offline']:6.2f}  diff {100 * abs(by['shipped'] - by['offline']):5.2f}")


if __name__ == "__main__":
    main()
