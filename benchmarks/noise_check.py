"""MER-NOISE must-show measurements on a demo corpus (issue 5).

    .venv/bin/python benchmarks/noise_check.py [--dataset demo:standard] [--seed 0] [--out DIR]

1. times the challenge recipe (speech-noise SNR 5..10 + blur r in {1,2,4}) over the ``noise`` split;
2. measures each clip's SNR (noise = noisy wav - clean audio) against the logged SNR, on every clip
   whose mix was not rescaled, and counts the rescaled (would-have-clipped) ones (their SNR is
   measured too, after undoing the logged mix scale);
3. checks that r = 1 clips keep their frames up to codec loss (their decoded frames equal a plain
   H.264 re-encode of the clean frames; face crops are stored losslessly, so they must be equal) and
   reports PSNR against the clean frames per r;
4. re-runs with the same seed into a new folder (byte-identical wavs and mp4s, identical frames) and
   with seed + 1 (different audio and choices).
Prints a table and writes ``noise_check.json`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def main(argv: list[str] | None = None) -> dict:
    from rich.console import Console
    from rich.table import Table

    from merbench.corrupt import challenge_recipe, corrupt_dataset
    from merbench.corrupt.audio import snr_db
    from merbench.datasets import open_dataset
    from merbench.media import load_media, read_audio, read_faces, read_frames, write_video

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--split", default="noise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="merbench-noise-check-"))
    dataset = open_dataset(args.dataset)
    recipe = challenge_recipe(dataset)
    clean = {s.name: s for s in dataset.samples(args.split)}

    started = time.perf_counter()
    noisy = corrupt_dataset(dataset, args.split, recipe, args.seed, out / f"seed{args.seed}", workers=args.workers)
    seconds = time.perf_counter() - started

    errors, rescaled_errors, silent, r_counts = [], [], 0, Counter()
    psnr_by_r, r1_codec_equal, r1_faces_equal, r1_clips = defaultdict(list), 0, 0, 0
    for name, sample in clean.items():
        noise_log, blur_log = noisy.clip_log(name)
        if noise_log.get("silent_clip"):
            silent += 1
        else:
            # a rescaled mix scaled clean and noise alike: undo the logged scale to measure it too
            clean_audio = load_media(sample, parts=("audio",)).audio * noise_log["mix_scale"]
            noisy_audio = read_audio(noisy.sample(name).audio)
            error = abs(snr_db(clean_audio, noisy_audio - clean_audio) - noise_log["snr"])
            (rescaled_errors if noise_log["rescaled"] else errors).append(error)
        r = blur_log["r"]
        r_counts[r] += 1
        if sample.video is not None:
            clean_frames, fps = read_frames(sample.video)
            noisy_frames, _ = read_frames(noisy.sample(name).video)
            psnr_by_r[r].append(psnr(clean_frames, noisy_frames))
            if r == 1:
                r1_clips += 1
                reencoded = out / "reencoded.mp4"
                write_video(reencoded, clean_frames, fps)
                r1_codec_equal += int(np.array_equal(read_frames(reencoded)[0], noisy_frames))
                if sample.faces is not None:
                    r1_faces_equal += int(np.array_equal(read_faces(sample.faces), read_faces(noisy.sample(name).faces)))

    again = corrupt_dataset(dataset, args.split, recipe, args.seed, out / f"seed{args.seed}-again", workers=args.workers)
    other = corrupt_dataset(dataset, args.split, recipe, args.seed + 1, out / f"seed{args.seed + 1}", workers=args.workers)
    same_wav = sum(noisy.sample(n).audio.read_bytes() == again.sample(n).audio.read_bytes() for n in clean)
    same_mp4 = sum(noisy.sample(n).video is not None and
                   noisy.sample(n).video.read_bytes() == again.sample(n).video.read_bytes() for n in clean)
    same_log = sum(noisy.clip_log(n) == again.clip_log(n) for n in clean)
    differ_wav = sum(noisy.sample(n).audio.read_bytes() != other.sample(n).audio.read_bytes() for n in clean)
    differ_log = sum(noisy.clip_log(n) != other.clip_log(n) for n in clean)

    result = {
        "dataset": args.dataset, "split": args.split, "clips": len(clean), "seed": args.seed, "workers": args.workers,
        "corrupt_seconds": round(seconds, 2), "seconds_per_clip": round(seconds / len(clean), 3),
        "snr_checked": len(errors), "snr_within_0.1dB": sum(e <= 0.1 for e in errors),
        "snr_max_abs_error_db": round(max(errors), 4) if errors else None,
        "rescaled_clips": len(rescaled_errors), "silent_clips": silent,
        "rescaled_snr_within_0.1dB_of_logged_scale": sum(e <= 0.1 for e in rescaled_errors),
        "r_counts": dict(sorted(r_counts.items())),
        "psnr_db_by_r": {r: round(float(np.mean(v)), 2) for r, v in sorted(psnr_by_r.items())},
        "r1_clips": r1_clips, "r1_frames_equal_plain_reencode": r1_codec_equal, "r1_faces_identical": r1_faces_equal,
        "same_seed_identical_wav": same_wav, "same_seed_identical_mp4": same_mp4, "same_seed_identical_log": same_log,
        "other_seed_different_wav": differ_wav, "other_seed_different_log": differ_log,
    }
    (out / "noise_check.json").write_text(json.dumps(result, indent=1))
    table = Table(title=f"MER-NOISE checks: {args.dataset} {args.split} ({len(clean)} clips) -> {out}")
    table.add_column("measure")
    table.add_column("value", overflow="fold")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    return result


if __name__ == "__main__":
    result = main()
    ok = (result["snr_within_0.1dB"] == result["snr_checked"] and result["r1_frames_equal_plain_reencode"] == result["r1_clips"]
          and result["same_seed_identical_wav"] == result["clips"] and result["other_seed_different_wav"] > 0)
    sys.exit(0 if ok else 1)
