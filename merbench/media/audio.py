"""Audio as float32 mono at a fixed sample rate, from wav/flac files or the audio track of a video."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from merbench.media.errors import CORRUPT_FIX, MediaError, require_file

#: Extensions read with libsndfile; anything else (mp4, avi, mkv, mp3 ...) goes through PyAV.
SOUNDFILE_SUFFIXES = {".wav", ".flac", ".ogg"}


def read_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """Float32 mono samples of ``path`` at ``sample_rate`` (a wav/flac file or a video's audio track)."""
    p = require_file(path)
    if p.suffix.lower() in SOUNDFILE_SUFFIXES:
        audio, native_rate = _read_soundfile(p)
        audio = resample(audio, native_rate, sample_rate)
    else:
        audio = _read_container_audio(p, sample_rate)
    if audio.size == 0:
        raise MediaError(p, "audio is empty (0 samples)", "re-extract the audio, e.g. `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav`")
    if not np.all(np.isfinite(audio)):
        raise MediaError(p, "audio contains NaN or infinite samples", "re-extract the audio from the video")
    return audio


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = 16000) -> Path:
    """Write float mono ``audio`` in [-1, 1] as 16-bit PCM wav (the baseline's ``audio/`` format)."""
    import soundfile

    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim != 1:
        raise MediaError(path, f"audio must be mono 1-D, got shape {samples.shape}", "mix down to mono before writing")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(p), np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    return p


def _read_soundfile(p: Path) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        audio, rate = soundfile.read(str(p), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise MediaError(p, f"cannot decode audio ({exc})", "re-extract it, e.g. `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav`") from None
    check_wav_complete(p, len(audio))
    return audio.mean(axis=1).astype(np.float32), int(rate)


def check_wav_complete(p: Path, frames: int) -> None:
    """Raise :class:`MediaError` when ``p`` is a PCM wav whose header declares more samples than the
    ``frames`` the file holds: a half-copied or half-downloaded file, which libsndfile reads as far as
    it goes without complaint. Other formats, and streamed headers that declare no size, pass."""
    if p.suffix.lower() != ".wav":
        return
    import wave

    try:
        with wave.open(str(p), "rb") as header:
            declared, width = header.getnframes(), header.getsampwidth() * header.getnchannels()
            rate = header.getframerate()
    except (wave.Error, EOFError, OSError):
        return  # not plain PCM (float or extensible wavs): libsndfile's reading stands
    if declared == 0 or declared * width >= 0xFFFFFF00:
        return  # written to a pipe: the size fields were never filled in
    if declared > frames:
        raise MediaError(p, f"truncated: its header declares {declared} samples ({declared / rate:.2f} s), the file "
                            f"holds {frames} ({frames / rate:.2f} s)",
                         "copy or download it again, or re-extract it with `ffmpeg -i VIDEO -ac 1 -ar 16000 OUT.wav`")


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Float32 mono ``audio`` from ``rate`` to ``target`` Hz with FFmpeg's resampler (band-limited)."""
    samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(1, -1)
    if rate == target or samples.size == 0:
        return samples.reshape(-1)
    import av

    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    chunks = [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]
    chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def _read_container_audio(p: Path, sample_rate: int) -> np.ndarray:
    import av

    try:
        with av.open(str(p)) as container:
            if not container.streams.audio:
                raise MediaError(p, "has no audio track", "provide audio/<name>.wav beside the video, or re-encode the clip with its audio")
            stream = container.streams.audio[0]
            duration = float(stream.duration * stream.time_base) if stream.duration else None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as exc:
        raise MediaError(p, f"cannot decode audio ({type(exc).__name__}: {exc.strerror or exc})",
                         CORRUPT_FIX) from None
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if duration is not None:  # drop the codec's padding after the last real sample (AAC frames)
        expected = int(round(duration * sample_rate))
        if 0 < len(audio) < expected - max(sample_rate // 5, expected // 20):
            # cut after its index (see read_frames): FFmpeg decodes up to the cut without an error
            raise MediaError(p, f"truncated: its audio track stops at {len(audio) / sample_rate:.2f} s of the "
                                f"{duration:.2f} s its container declares",
                             CORRUPT_FIX)
        audio = audio[:expected]
    return audio
