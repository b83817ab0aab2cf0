"""The demo corpus: plan every clip from one seed, render clips in worker processes, write both layouts.

Layout of a generated corpus (``<out>``)::

    processed/  video/<n>.mp4  audio/<n>.wav  openface_face/<n>/<n>.npy  transcription-merge.csv  label-6way.npz
                label-6way.csv (the pickle-free copy the reader prefers)
    raw/        video-labeled/  video-unlabeled-with-test2noise/  label-disdim.csv  label-transcription.csv
    extras/     noise_bank/*.wav  ov-labels.csv  ov-grouping.json  ov-vocabulary.json  subtitles-english.csv
                test-labels.csv  generation.csv
    demo.json   size, seed, generator version, splits, media_sha256, tools

Raw videos are hard links to the processed ones. Every random choice is drawn in :func:`plan` from
``seed`` (clip renders get their own derived seeds), so a seed gives the same corpus whatever the
number of workers, threads or load: every file, ``demo.json`` included, is byte-identical on one
machine (docs/determinism.md). ``media_sha256`` digests every other file's path and bytes, so two
machines compare corpora by one value; ``tools`` records the espeak-ng and FFmpeg versions that
made them, the usual reason two machines' corpora differ.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from merbench import EMOTIONS
from merbench.datasets.demo import face as facegen
from merbench.datasets.demo import script, speech
from merbench.datasets.processed import LABELS_CSV, write_label_csv

log = logging.getLogger(__name__)

#: Bump when the generator's output changes, so caches keyed on the manifest never mix versions.
#: 5: mp4s written without x264's macroblock-tree rate control (merbench.media.write_video).
GENERATOR_VERSION = "5"
SAMPLE_RATE = 16000
FPS = 10
FRAME_SIZE = 128
#: OpenFace crops are kept for every second video frame (5 per second) to keep the corpus small.
FACE_EVERY = 2
MIN_SECONDS, MAX_SECONDS = 2.0, 6.0

SIZES = {
    "tiny": dict(trainval=30, unlabeled=12, semi=4, noise=4, ov=8, speakers=6, noise_files=3),
    # enough Train&Val clips that CV scores sit clearly above chance, yet generated and extracted in
    # seconds: the CI-sized corpus of the demo-smoke benchmark suite (benchmarks/suites/demo-smoke.yaml)
    "small": dict(trainval=200, unlabeled=20, semi=10, noise=10, ov=8, speakers=10, noise_files=3),
    "standard": dict(trainval=600, unlabeled=1500, semi=200, noise=200, ov=100, speakers=40, noise_files=12),
}
#: Class prior close to MER2024 Train&Val (neutral and angry common, surprise rare).
CLASS_PRIOR = dict(neutral=0.25, angry=0.23, happy=0.21, sad=0.14, worried=0.12, surprise=0.05)
VALENCE_MEAN = dict(neutral=0.0, angry=-3.2, happy=3.2, sad=-3.0, worried=-1.8, surprise=0.8)
#: Emotions a modality may show instead of the true one (acted ambiguity).
CONFUSABLE = dict(neutral=("worried", "sad"), angry=("surprise", "happy"), happy=("surprise", "neutral"),
                  sad=("worried", "neutral"), worried=("sad", "neutral"), surprise=("happy", "angry"))
LABEL_NOISE = 0.06


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip; ``emotion`` is what the actor plays, ``label`` what annotators said."""

    name: str
    index: int
    speaker: int
    emotion: str
    label: str
    valence: float
    audio_emotion: str
    audio_intensity: float
    face_emotion: str
    face_intensity: float
    text_mode: str
    subtitle: str
    subtitle_en: str
    lead_seconds: float


def plan(size: str, seed: int) -> dict:
    """The whole corpus as data: speakers, clips and splits (no rendering)."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {sorted(SIZES)}")
    counts = SIZES[size]
    rng = np.random.default_rng(seed)
    speakers = []
    for i in range(counts["speakers"]):
        language = "zh" if i % 2 == 0 else "en"
        speakers.append(dict(voice=speech.Voice.random(rng, language), identity=facegen.Identity.random(rng),
                             phase=float(rng.uniform(0, 2 * np.pi))))
    n_total = counts["trainval"] + counts["unlabeled"]
    if size == "tiny":  # every class present in every split a tiny test looks at
        emotions = list(np.resize(EMOTIONS, counts["trainval"])) + list(np.resize(EMOTIONS, counts["unlabeled"]))
        emotions = list(rng.permutation(emotions[: counts["trainval"]])) + list(rng.permutation(emotions[counts["trainval"]:]))
    else:
        emotions = list(rng.choice(EMOTIONS, size=n_total, p=[CLASS_PRIOR[e] for e in EMOTIONS]))
    clips = [_plan_clip(i, str(emotions[i]), int(rng.integers(counts["speakers"])), rng) for i in range(n_total)]
    names = [c.name for c in clips]
    trainval, unlabeled = names[: counts["trainval"]], names[counts["trainval"]:]
    tests = list(rng.permutation(unlabeled)[: counts["semi"] + counts["noise"]])
    semi, noise = sorted(tests[: counts["semi"]]), sorted(tests[counts["semi"]:])
    ov = sorted(rng.permutation(trainval)[: counts["ov"]])
    ov_labels = {n: script.ov_labels_for(clips[names.index(n)].emotion, rng) for n in ov}
    noise_seeds = [int(s) for s in rng.integers(0, 2**31, counts["noise_files"])]
    return dict(size=size, seed=seed, speakers=speakers, clips=clips, noise_seeds=noise_seeds, ov_labels=ov_labels,
                splits=dict(trainval=trainval, semi=semi, noise=noise, ov=ov, unlabeled=unlabeled))


def _plan_clip(index: int, emotion: str, speaker: int, rng: np.random.Generator) -> ClipPlan:
    # Audio is the strongest cue but not a sufficient one: some clips sound like a confusable emotion
    # or are spoken flatly, which the face or the subtitle can correct (so fusion beats audio alone).
    audio_emotion = emotion if rng.random() > 0.15 else str(rng.choice(CONFUSABLE[emotion]))
    r = rng.random()
    if r < 0.4:  # a poker face
        face_emotion, face_intensity = emotion, float(rng.uniform(0.0, 0.2))
    else:
        face_emotion = emotion if r > 0.52 else str(rng.choice(CONFUSABLE[emotion]))
        face_intensity = float(rng.uniform(0.25, 0.9))
    mode = str(rng.choice(list(script.TEXT_MODES), p=list(script.TEXT_MODES.values())))
    subtitle, subtitle_en = script.subtitle_for(emotion, mode, rng)
    label = emotion if rng.random() > LABEL_NOISE else str(rng.choice([e for e in EMOTIONS if e != emotion]))
    audio_intensity = float(rng.uniform(0.35, 1.0))
    valence = VALENCE_MEAN[label] * (0.55 + 0.45 * audio_intensity) + rng.normal(0, 0.7)
    return ClipPlan(f"sample_{index + 1:08d}", index, speaker, emotion, label, round(float(np.clip(valence, -5, 5)), 2),
                    audio_emotion, audio_intensity, face_emotion, face_intensity, mode, subtitle, subtitle_en,
                    float(rng.uniform(0.1, 0.5)))


# -- rendering (runs in worker processes) ----------------------------------------------------------
def _clip_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, 1, index]))


def render_clip(clip: ClipPlan, speaker: dict, seed: int, processed: Path) -> float:
    """Write the clip's mp4, 16 kHz wav and face crops; returns its duration in seconds."""
    from merbench.media import write_video, write_wav
    from merbench.media.audio import resample

    rng = _clip_rng(seed, clip.index)
    voice: speech.Voice = speaker["voice"]
    text = clip.subtitle if voice.language == "zh" else clip.subtitle_en
    raw, rate = speech.synthesise(text, voice, clip.audio_emotion, clip.audio_intensity, rng)
    voiced = resample(raw, rate, SAMPLE_RATE)
    lead = np.zeros(int(clip.lead_seconds * SAMPLE_RATE), np.float32)
    audio = np.concatenate([lead, voiced])
    audio = np.pad(audio, (0, max(0, int(MIN_SECONDS * SAMPLE_RATE) - len(audio))))[: int(MAX_SECONDS * SAMPLE_RATE)]
    audio = (audio + rng.normal(0, 3e-4, len(audio))).astype(np.float32)  # a quiet room, never digital silence
    duration = len(audio) / SAMPLE_RATE

    frames, faces = _render_frames(clip, speaker, audio)
    name = clip.name
    _atomic(processed / "audio" / f"{name}.wav", lambda p: write_wav(p, audio, SAMPLE_RATE))
    _atomic(processed / "openface_face" / name / f"{name}.npy", lambda p: _save_npy(p, faces))
    _atomic(processed / "video" / f"{name}.mp4", lambda p: write_video(p, frames, FPS, audio, SAMPLE_RATE))
    return duration


def _render_frames(clip: ClipPlan, speaker: dict, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    identity: facegen.Identity = speaker["identity"]
    n_frames = int(np.ceil(len(audio) / SAMPLE_RATE * FPS))
    hop = SAMPLE_RATE // FPS
    rms = np.array([np.sqrt(np.mean(audio[i * hop:(i + 1) * hop] ** 2) + 1e-12) for i in range(n_frames)])
    talk_levels = np.round(np.clip(rms / (0.5 * rms.max() + 1e-9), 0, 1) * 3).astype(int)  # 4 mouth openings
    expression = facegen.expression(clip.face_emotion, clip.face_intensity)
    stills = {level: facegen.render_face(identity, expression, level / 3, FRAME_SIZE) for level in set(talk_levels.tolist())}
    frames = np.empty((n_frames, FRAME_SIZE, FRAME_SIZE, 3), np.uint8)
    faces = []
    for i, level in enumerate(talk_levels):
        motion = facegen.head_motion(clip.face_emotion if clip.face_intensity > 0.2 else "neutral", i / FPS, speaker["phase"])
        bgr, box = facegen.move_head(stills[int(level)], identity, motion, identity.background)
        frames[i] = bgr[..., ::-1]
        if i % FACE_EVERY == 0:
            faces.append(facegen.crop_face(bgr, box))
    return frames, np.stack(faces)


def render_noise(seed: int, index: int, out: Path, seconds: float = 8.0) -> None:
    """One babble file: several voices reading neutral sentences at once (like MUSAN speech mixtures)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, index]))
    from merbench.media import write_wav
    from merbench.media.audio import resample

    n = int(seconds * SAMPLE_RATE)
    mix = np.zeros(n, np.float32)
    for _ in range(int(rng.integers(3, 6))):
        voice = speech.Voice.random(rng, "zh" if rng.random() < 0.5 else "en")
        phrases = [script.NEUTRAL_PHRASES[i] for i in rng.integers(len(script.NEUTRAL_PHRASES), size=6)]
        text = "，".join(p[0] for p in phrases) if voice.language == "zh" else ", ".join(p[1] for p in phrases)
        raw, rate = speech.synthesise(text, voice, "neutral", 0.0, rng)  # one espeak call per voice
        track = resample(raw, rate, SAMPLE_RATE)
        track = np.tile(track, int(np.ceil(n / len(track))))
        mix += np.roll(track[:n], int(rng.integers(n)))
    _atomic(out, lambda p: write_wav(p, 0.5 * mix / (np.abs(mix).max() + 1e-9), SAMPLE_RATE))


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:  # a file object, so np.save does not append ".npy" to the temporary name
        np.save(f, array)


def _atomic(path: Path, write) -> None:
    """Write through a temporary name so an interrupted run never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    write(tmp)
    os.replace(tmp, path)


def _render_job(job: tuple) -> dict[str, str]:
    """Render one job; returns the sha256 of each file it wrote (by path), hashed here while the
    bytes are fresh in the page cache and in parallel, so :func:`media_digest` need not re-read them."""
    kind, payload = job[0], job[1:]
    if kind == "noise":
        seed, index, out = payload
        render_noise(seed, index, out)
        written = [out]
    else:
        clip, speaker, seed, processed = payload
        render_clip(clip, speaker, seed, processed)
        name = clip.name
        written = [processed / "audio" / f"{name}.wav", processed / "openface_face" / name / f"{name}.npy",
                   processed / "video" / f"{name}.mp4"]
    return {str(path): _file_sha256(path) for path in written}


# -- writing the corpus ----------------------------------------------------------------------------
def generate(out: str | Path, size: str = "tiny", seed: int = 0, workers: int | None = None,
             progress: bool = False, replace_older: bool = False) -> Path:
    """Generate the demo corpus into ``out`` (if it is not already complete) and return ``out``.

    Work goes to ``<out>.partial`` and is renamed when complete; re-running after an interruption
    keeps the clips already written. ``out`` holding another corpus is an error, except, with
    ``replace_older`` (the corpora merbench keeps in its cache), one of the same size and seed made
    by an earlier generator version: it is regenerated and replaced.
    """
    out = Path(out).expanduser()
    marker = out / "demo.json"
    if marker.is_file():
        info = json.loads(marker.read_text())
        same = info.get("size") == size and info.get("seed") == seed
        if same and info.get("version") == GENERATOR_VERSION:
            if not (out / "processed" / LABELS_CSV).is_file():  # a corpus written before the pickle-free copy existed
                write_label_csv(_label_corpora(plan(size, seed)), out / "processed" / LABELS_CSV)
            return out
        if not (same and replace_older):
            raise FileExistsError(f"{out}: holds a different demo corpus ({info.get('size')}, seed {info.get('seed')}, "
                                  f"version {info.get('version')}); choose another --out or delete it")
        log.info("%s: made by demo generator version %s; generating version %s in its place",
                 out, info.get("version"), GENERATOR_VERSION)
    speech.require_espeak()
    corpus = plan(size, seed)
    work = out.with_name(out.name + ".partial")
    _resumable(work, dict(size=size, seed=seed, version=GENERATOR_VERSION))
    processed, raw, extras = work / "processed", work / "raw", work / "extras"
    jobs: list[tuple] = []
    for i, noise_seed in enumerate(corpus["noise_seeds"]):  # the longest jobs first
        target = extras / "noise_bank" / f"babble_{i:03d}.wav"
        if not target.is_file():
            jobs.append(("noise", noise_seed, i, target))
    for clip in corpus["clips"]:
        if not (processed / "video" / f"{clip.name}.mp4").is_file():
            jobs.append(("clip", clip, corpus["speakers"][clip.speaker], seed, processed))
    known = _run_jobs(jobs, workers, progress)
    _write_tables(corpus, work)
    _link_raw_videos(corpus, processed, raw)
    from merbench.util.env import media_tools

    (work / "generating.json").unlink()  # not part of the corpus: every clip is written now
    # no wall time in here: demo.json is part of the corpus and is byte-identical for a seed
    info = dict(size=size, seed=seed, version=GENERATOR_VERSION, fps=FPS, frame_size=FRAME_SIZE, face_every=FACE_EVERY,
                splits=corpus["splits"], media_sha256=media_digest(work, known), tools=media_tools())
    (work / "demo.json").write_text(json.dumps(info, indent=1))
    if out.exists():
        shutil.rmtree(out)
    os.replace(work, out)
    return out


def _resumable(work: Path, wanted: dict) -> None:
    """Keep the clips of an interrupted generation in ``work`` only if it was generating this corpus
    (size, seed, generator version: ``generating.json``); otherwise start ``work`` afresh."""
    marker = work / "generating.json"
    if work.exists() and not (marker.is_file() and json.loads(marker.read_text()) == wanted):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(wanted))


def media_digest(root: str | Path, known: Mapping[str, str] | None = None) -> str:
    """sha256 over the relative path and sha256 of every file under ``root`` but ``demo.json`` (sorted
    by path): equal on two machines exactly when their corpora are byte-identical.

    ``known`` maps a file's path (as ``str(path)`` under ``root``) to its sha256 when the caller has
    just hashed it (the render workers); a hard link (the raw videos) is read once, with its twin."""
    root = Path(root)
    known = dict(known or {})
    by_inode: dict[tuple[int, int], str] = {}
    outer = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "demo.json"):
        stat = path.stat()
        inode = (stat.st_dev, stat.st_ino)
        digest = known.get(str(path)) or by_inode.get(inode) or _file_sha256(path)
        by_inode[inode] = digest
        outer.update(f"{path.relative_to(root).as_posix()}\0{digest}\n".encode())
    return outer.hexdigest()


def _file_sha256(path: Path) -> str:
    inner = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            inner.update(block)
    return inner.hexdigest()


def _run_jobs(jobs: list[tuple], workers: int | None, progress: bool) -> dict[str, str]:
    """Render ``jobs``; returns the sha256 of every file they wrote, by path."""
    known: dict[str, str] = {}
    if not jobs:
        return known
    # espeak-ng spends most of each call waiting, not computing: two processes per core keep the cores busy
    workers = max(1, workers or 2 * (os.cpu_count() or 1))
    from merbench.util.progress import progress_bar

    with progress_bar(requested=progress) as bar:
        task = bar.add_task("rendering demo clips", total=len(jobs))
        if workers == 1:
            for job in jobs:
                known.update(_render_job(job))
                bar.advance(task)
            return known
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for digests in pool.map(_render_job, jobs, chunksize=max(1, min(8, len(jobs) // (8 * workers)))):
                known.update(digests)
                bar.advance(task)
    return known


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _label_corpora(corpus: dict) -> dict[str, dict]:
    """The processed layout's label corpora (the test corpus with its dummy neutral label)."""
    clips = {c.name: c for c in corpus["clips"]}
    return {"train_corpus": {n: {"emo": clips[n].label, "val": clips[n].valence} for n in corpus["splits"]["trainval"]},
            "test1_corpus": {n: {"emo": "neutral", "val": -10.0} for n in corpus["splits"]["unlabeled"]}}


def _write_tables(corpus: dict, work: Path) -> None:
    clips = {c.name: c for c in corpus["clips"]}
    splits = corpus["splits"]
    processed, raw, extras = work / "processed", work / "raw", work / "extras"
    everything = [c.name for c in corpus["clips"]]
    # processed layout: the baseline's label-6way.npz (pickled dicts) and its pickle-free copy
    corpora = _label_corpora(corpus)
    np.savez(processed / "label-6way.npz", **corpora)
    write_label_csv(corpora, processed / LABELS_CSV)
    _write_csv(processed / "transcription-merge.csv", ["name", "chinese"], [[n, clips[n].subtitle] for n in everything])
    # raw MER2024 twin
    _write_csv(raw / "label-disdim.csv", ["name", "discrete", "valence"],
               [[n, clips[n].label, clips[n].valence] for n in splits["trainval"]])
    _write_csv(raw / "label-transcription.csv", ["name", "chinese"], [[n, clips[n].subtitle] for n in everything])
    # extras: hidden test labels, OV labels and grouping, English subtitles, how each clip was made
    _write_csv(extras / "test-labels.csv", ["name", "split", "discrete", "valence"],
               [[n, split, clips[n].label, clips[n].valence] for split in ("semi", "noise") for n in splits[split]])
    _write_csv(extras / "ov-labels.csv", ["name", "openset"], [[n, ", ".join(corpus["ov_labels"][n])] for n in splits["ov"]])
    grouping = script.ov_grouping()
    (extras / "ov-grouping.json").write_text(json.dumps({n: grouping for n in splits["ov"]}, ensure_ascii=False, indent=1))
    (extras / "ov-vocabulary.json").write_text(json.dumps(script.ov_vocabulary(), indent=1))
    _write_csv(extras / "subtitles-english.csv", ["name", "english"], [[n, clips[n].subtitle_en] for n in everything])
    fields = [f for f in asdict(corpus["clips"][0]) if f not in ("subtitle", "subtitle_en")]
    _write_csv(extras / "generation.csv", fields + ["language", "voice"],
               [[getattr(c, f) for f in fields] + [corpus["speakers"][c.speaker]["voice"].language,
                                                   corpus["speakers"][c.speaker]["voice"].espeak] for c in corpus["clips"]])


def _link_raw_videos(corpus: dict, processed: Path, raw: Path) -> None:
    folders = {"trainval": raw / "video-labeled", "unlabeled": raw / "video-unlabeled-with-test2noise"}
    for split, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        for name in corpus["splits"][split]:
            target = folder / f"{name}.mp4"
            if not target.exists():
                try:
                    os.link(processed / "video" / f"{name}.mp4", target)
                except OSError:  # a filesystem without hard links
                    shutil.copy2(processed / "video" / f"{name}.mp4", target)
