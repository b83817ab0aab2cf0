"""What ``merbench data check`` reports: per-sample media and subtitle problems, and split/class counts."""

from __future__ import annotations

from collections import Counter

from merbench import EMOTIONS
from merbench.contracts.dataset import Dataset, Problem, Sample

EXPECTED_RATE = 16000


def check_samples(dataset: Dataset, deep: bool = False, allow_no_media: bool = False) -> list[Problem]:
    """One :class:`Problem` per missing or unreadable file, wrong audio format or empty subtitle.

    The quick check reads headers only; ``deep`` decodes every clip (what extraction will do).
    ``allow_no_media``: a sample without any media is no problem (a features-only dataset, which
    reports that once itself).
    """
    problems: list[Problem] = []
    for sample in dataset.iter_all():
        problems += check_sample(sample, deep=deep, allow_no_media=allow_no_media)
    return problems


def check_sample(sample: Sample, deep: bool = False, allow_no_media: bool = False) -> list[Problem]:
    from merbench.media import MediaError

    problems: list[Problem] = []
    checks = (("audio", _check_audio), ("video", _check_video), ("faces", _check_faces))
    for field, check in checks:
        path = getattr(sample, field)
        if path is None:
            continue
        try:
            problems += check(sample, deep)
        except MediaError as exc:
            problems.append(Problem("error", exc.path, f"sample {sample.name}: {exc.problem}", exc.fix))
    if sample.video is None and sample.audio is None and sample.faces is None and not allow_no_media:
        problems.append(Problem("error", sample.name, "sample has no media at all", "check the media folders of the dataset"))
    if sample.subtitle is not None and not sample.subtitle.strip():
        problems.append(Problem("warning", sample.name, "empty subtitle", "allowed (no speech); `merbench transcribe` can fill it"))
    return problems


def _check_audio(sample: Sample, deep: bool) -> list[Problem]:
    import soundfile

    from merbench.media import MediaError, read_audio
    from merbench.media.audio import check_wav_complete
    from merbench.media.errors import require_file

    path = require_file(sample.audio)
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise MediaError(path, f"cannot read audio header ({exc})", "re-extract it with `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav`") from None
    problems = []
    if info.frames == 0:
        raise MediaError(path, "audio is empty (0 samples)", "re-extract it with `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav`")
    check_wav_complete(path, info.frames)
    if info.samplerate != EXPECTED_RATE or info.channels != 1:
        problems.append(Problem("warning", str(path), f"audio is {info.samplerate} Hz, {info.channels} channel(s), not 16000 Hz mono",
                                "merbench resamples on the fly; re-extract with `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav` to match the baseline"))
    if deep:
        read_audio(path)
    return problems


def _check_video(sample: Sample, deep: bool) -> list[Problem]:
    import av

    from merbench.media import MediaError, read_audio, read_frames
    from merbench.media.errors import require_file

    path = require_file(sample.video)
    try:
        with av.open(str(path)) as container:
            has_video, has_audio = bool(container.streams.video), bool(container.streams.audio)
    except av.error.FFmpegError as exc:
        raise MediaError(path, f"cannot open video ({exc.strerror or exc})", "the file is corrupt or truncated: re-download it") from None
    if not has_video:
        raise MediaError(path, "has no video track", "re-download the clip")
    if not has_audio and sample.audio is None:
        raise MediaError(path, "has no audio track and no audio file", "provide audio/<name>.wav or re-encode the clip with its audio")
    if deep:
        read_frames(path, max_frames=8)
        if sample.audio is None:
            read_audio(path)
    return []


def _check_faces(sample: Sample, deep: bool) -> list[Problem]:
    import numpy as np

    from merbench.media import MediaError, read_faces
    from merbench.media.faces import FACE_SHAPE, face_file

    path = face_file(sample.faces)
    if deep:
        read_faces(path)
        return []
    if not path.is_file():
        raise MediaError(path, "face crops not found", "run OpenFace on the video, or drop the faces modality")
    try:
        faces = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise MediaError(path, f"cannot read face crops ({exc})", "re-run OpenFace face extraction for this clip") from None
    if faces.ndim != 4 or faces.shape[1:] != FACE_SHAPE or faces.dtype != np.uint8:
        raise MediaError(path, f"face crops are {faces.dtype} {faces.shape}, expected uint8 (T, 112, 112, 3)",
                         "re-run OpenFace with output size 112")
    return []


def class_counts(dataset: Dataset) -> dict[str, Counter]:
    """Per split: how many samples of each class (``None`` counts unlabeled samples)."""
    counts = {}
    for split, names in dataset.splits().items():
        counts[split] = Counter(dataset.sample(n).label for n in names)
    return counts


def count_table(dataset: Dataset) -> list[list[str]]:
    """Rows ``split, total, <one column per class>, unlabeled`` for printing."""
    rows = []
    for split, counter in class_counts(dataset).items():
        total = sum(counter.values())
        rows.append([split, str(total)] + [str(counter.get(e, 0)) for e in EMOTIONS] + [str(counter.get(None, 0))])
    return rows
