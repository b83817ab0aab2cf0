"""Video frames (RGB uint8) decoded with PyAV, and H.264 + AAC mp4 writing for the demo corpus."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from merbench.media.errors import CORRUPT_FIX, MediaError, require_file



def evenly_spaced(n_total: int, n: int) -> np.ndarray:
    """``n`` frame indices spread evenly over ``n_total`` frames (all of them when ``n >= n_total``)."""
    if n_total <= 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= n_total:
        return np.arange(n_total, dtype=np.int64)
    # centre of each of n equal segments: never repeats an index, covers start to end symmetrically
    return np.floor((np.arange(n) + 0.5) * n_total / n).astype(np.int64)


def read_frames(path: str | Path, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """uint8 (T, H, W, 3) RGB frames and the frame rate; ``max_frames`` samples evenly over the clip.

    Every frame is converted at the first frame's size, so a stream whose size changes mid-clip
    still gives one array.
    """
    import av

    p = require_file(path)
    try:
        with av.open(str(p)) as container:
            if not container.streams.video:
                raise MediaError(p, "has no video track", "point the dataset at the video file, or drop the frames modality")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or stream.base_rate or 25)
            expected = int(stream.frames or 0)
        wanted = None if max_frames is None else evenly_spaced(expected, max_frames) if expected else None
        frames, n_decoded = _decode(p, wanted)
        if expected and n_decoded < expected - max(2, expected // 20):
            # the index (moov at the front, as after -movflags +faststart) outlived the cut: FFmpeg
            # decodes up to the cut and stops without an error
            raise MediaError(p, f"truncated: decoding stopped after {n_decoded} of the {expected} frames its "
                                "container declares", CORRUPT_FIX)
        if max_frames is not None and (wanted is None or n_decoded != expected):
            # the container's frame count was missing or wrong: pick from the true count
            frames, _ = _decode(p, evenly_spaced(n_decoded, max_frames))
    except av.error.FFmpegError as exc:
        raise MediaError(p, f"cannot decode video ({type(exc).__name__}: {exc.strerror or exc})", CORRUPT_FIX) from None
    if not frames:
        raise MediaError(p, "has no decodable video frames", CORRUPT_FIX)
    return np.stack(frames), fps


def _decode(p: Path, wanted: np.ndarray | None) -> tuple[list[np.ndarray], int]:
    """Frames at indices ``wanted`` (all when None) and how many frames the stream really has."""
    import av

    keep = None if wanted is None else set(int(i) for i in wanted)
    frames: list[np.ndarray] = []
    size: tuple[int, int] | None = None
    n = 0
    with av.open(str(p)) as container:
        stream = container.streams.video[0]
        # one decoding thread: FFmpeg's frame/slice threads are meant to be bit-exact, yet under CPU
        # load a frame threaded like this came back different now and then (docs/determinism.md);
        # callers decode many clips in parallel anyway (extraction's decoding threads, the worker pools).
        # The same for the YUV -> RGB conversion: PyAV's reformat runs swscale on all cores by default.
        stream.thread_type = "NONE"
        stream.codec_context.thread_count = 1
        for frame in container.decode(stream):
            if size is None:
                size = (frame.width, frame.height)
                if size[0] < 2 or size[1] < 2:
                    raise MediaError(p, f"frame size {size[0]}x{size[1]} is too small to hold a face", "re-encode the video at its real size")
            if keep is None or n in keep:
                frames.append(frame.to_ndarray(format="rgb24", width=size[0], height=size[1], threads=1))
            n += 1
    return frames, n


def write_video(path: str | Path, frames_rgb: np.ndarray, fps: float, audio: np.ndarray | None = None,
                sample_rate: int = 16000) -> Path:
    """Write an mp4 with H.264 video (yuv420p) and, when ``audio`` is given, AAC mono audio.

    Encoding is single-threaded with fixed settings so the same input gives the same bytes. x264's
    macroblock-tree rate control is off: with it, single-threaded ``veryfast`` encodes of the same
    frames on a loaded 2-core machine came out different 0.3-2% of the time in some hours, and never
    without it (``benchmarks/video_determinism.py``).
    """
    import av

    frames = np.asarray(frames_rgb)
    p = Path(path)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise MediaError(p, f"frames must be uint8 (T, H, W, 3) RGB with T > 0, got {frames.dtype} {frames.shape}",
                         "convert the frames with np.asarray(frames, np.uint8)")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise MediaError(p, f"frame size {width}x{height} is odd; H.264 yuv420p needs even width and height",
                         "crop or pad the frames by one pixel")
    p.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(p), mode="w", format="mp4") as container:
        vstream = container.add_stream("libx264", rate=rate)
        vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
        vstream.options = {"preset": "veryfast", "crf": "23", "threads": "1", "x264-params": "mbtree=0"}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sample_rate, layout="mono")
            astream.options = {"b": "64k", "aac_coder": "fast"}
        for i, image in enumerate(frames):
            # RGB -> YUV here on one thread (the encoder would convert with swscale on all cores)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24").reformat(
                format="yuv420p", threads=1)
            frame.pts = i
            frame.time_base = 1 / rate
            container.mux(vstream.encode(frame))
        container.mux(vstream.encode(None))
        if astream is not None:
            _encode_audio(container, astream, np.asarray(audio, dtype=np.float32), sample_rate)
    return p


def _encode_audio(container, stream, audio: np.ndarray, sample_rate: int) -> None:
    import av

    samples = np.clip(audio.reshape(-1), -1.0, 1.0).astype(np.float32)
    frame_size = stream.codec_context.frame_size or 1024
    for start in range(0, len(samples), frame_size):
        chunk = samples[start:start + frame_size]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
