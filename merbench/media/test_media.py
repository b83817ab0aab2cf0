"""Media I/O on tiny generated clips, including every bad-media case (each a one-line MediaError)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from merbench.contracts.dataset import Sample
from merbench.media import (MediaError, evenly_spaced, load_media, read_audio, read_faces, read_frames,
                            write_video, write_wav)

SR = 16000


def _tone(seconds: float = 1.0, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _frames(n: int = 12, h: int = 48, w: int = 64) -> np.ndarray:
    ramp = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    return np.stack([np.broadcast_to(ramp + 8 * i, (h, w, 3)).clip(0, 255).astype(np.uint8) for i in range(n)])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    return write_video(path, _frames(), fps=12, audio=_tone(1.0))


def _one_line(err: pytest.ExceptionInfo, path, words: str) -> None:
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert words in message
    assert "; " in message  # what went wrong; how to fix it


def test_video_roundtrip_gives_frames_fps_and_16k_audio(clip):
    frames, fps = read_frames(clip)
    assert frames.shape == (12, 48, 64, 3) and frames.dtype == np.uint8 and fps == 12.0
    # H.264 is lossy: the horizontal ramp survives approximately
    assert np.abs(frames[0].astype(int) - _frames()[0].astype(int)).mean() < 6
    audio = read_audio(clip)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - SR) <= 1024
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * SR / len(audio) - 220) < 5


def test_write_video_is_deterministic(tmp_path):
    a = write_video(tmp_path / "a.mp4", _frames(), 12, _tone())
    b = write_video(tmp_path / "b.mp4", _frames(), 12, _tone())
    assert a.read_bytes() == b.read_bytes()


def test_max_frames_samples_evenly(clip):
    frames, _ = read_frames(clip, max_frames=4)
    full, _ = read_frames(clip)
    assert np.array_equal(frames, full[evenly_spaced(12, 4)])


@pytest.mark.parametrize("n_total,n,expected", [(10, 5, [1, 3, 5, 7, 9]), (3, 8, [0, 1, 2]), (0, 4, []), (7, 1, [3])])
def test_evenly_spaced(n_total, n, expected):
    assert evenly_spaced(n_total, n).tolist() == expected


def test_wav_roundtrip_resamples_and_mixes_down(tmp_path):
    import soundfile

    write_wav(tmp_path / "a.wav", _tone(0.5))
    assert np.allclose(read_audio(tmp_path / "a.wav"), _tone(0.5), atol=1e-3)
    stereo = np.stack([_tone(0.5), _tone(0.5)], axis=1)
    soundfile.write(tmp_path / "s.wav", stereo[::2], 8000)  # 8 kHz stereo
    audio = read_audio(tmp_path / "s.wav", sample_rate=16000)
    assert audio.ndim == 1 and abs(len(audio) - 8000) <= 2


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(MediaError) as err:
        read_audio(tmp_path / "nope.wav")
    _one_line(err, tmp_path / "nope.wav", "file not found")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError) as err:
        read_frames(tmp_path / "empty.mp4")
    _one_line(err, tmp_path / "empty.mp4", "0 bytes")


def test_corrupt_file(tmp_path):
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    for reader in (read_frames, read_audio):
        with pytest.raises(MediaError) as err:
            reader(bad)
        _one_line(err, bad, "corrupt or truncated")


def test_truncated_file(clip, tmp_path):
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    for reader in (read_frames, read_audio):
        with pytest.raises(MediaError) as err:
            reader(cut)
        _one_line(err, cut, "corrupt or truncated")


def test_a_video_cut_after_its_index_is_named_truncated(clip, tmp_path):
    import av

    front = tmp_path / "faststart.mp4"  # the index first (ffmpeg -movflags +faststart), as many downloads are
    with av.open(str(clip)) as src, av.open(str(front), "w", options={"movflags": "+faststart"}) as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    assert len(read_frames(front)[0]) == 12
    with av.open(str(front)) as src:  # cut where the 7th video packet starts: FFmpeg then stops without an error
        starts = [packet.pos for packet in src.demux(video=0) if packet.pos is not None]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(front.read_bytes()[: starts[6]])
    with pytest.raises(MediaError) as err:
        read_frames(cut, max_frames=4)
    _one_line(err, cut, "truncated: decoding stopped after 6 of the 12 frames its container declares")
    with av.open(str(front)) as src:  # the same for the audio track, cut where its packets are half done
        starts = [packet.pos for packet in src.demux(audio=0) if packet.pos is not None]
    cut.write_bytes(front.read_bytes()[: starts[len(starts) // 2]])
    with pytest.raises(MediaError) as err:
        read_audio(cut)
    _one_line(err, cut, "truncated: its audio track stops at")


def test_corrupt_wav(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(40))
    with pytest.raises(MediaError) as err:
        read_audio(bad)
    _one_line(err, bad, "cannot decode audio")


def test_a_wav_cut_short_is_named_truncated_and_a_streamed_or_float_wav_is_read(tmp_path):
    import soundfile

    samples = np.linspace(-0.5, 0.5, 16000, dtype=np.float32)
    whole = write_wav(tmp_path / "whole.wav", samples)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 2 * 4000])  # 44-byte header, then 4000 of 16000 samples
    with pytest.raises(MediaError) as err:
        read_audio(cut)
    _one_line(err, cut, "truncated: its header declares 16000 samples (1.00 s), the file holds 4000 (0.25 s)")
    streamed = tmp_path / "streamed.wav"  # as ffmpeg writes to a pipe: RIFF and data sizes never filled in
    data = bytearray(whole.read_bytes())
    data[4:8] = data[40:44] = b"\xff\xff\xff\xff"
    streamed.write_bytes(bytes(data))
    assert len(read_audio(streamed)) == 16000
    floats = tmp_path / "float.wav"
    soundfile.write(floats, samples, 16000, subtype="FLOAT")
    assert np.array_equal(read_audio(floats), samples)
    assert np.array_equal(read_audio(whole), read_audio(streamed))


def test_video_without_audio_track(tmp_path):
    silent = write_video(tmp_path / "silent.mp4", _frames(), 12)
    with pytest.raises(MediaError) as err:
        read_audio(silent)
    _one_line(err, silent, "no audio track")
    assert read_frames(silent)[0].shape[0] == 12


def test_zero_length_audio(tmp_path):
    import soundfile

    soundfile.write(tmp_path / "zero.wav", np.zeros(0, np.float32), SR)
    with pytest.raises(MediaError) as err:
        read_audio(tmp_path / "zero.wav")
    _one_line(err, tmp_path / "zero.wav", "audio is empty")


def test_odd_frame_sizes(tmp_path):
    with pytest.raises(MediaError) as err:
        write_video(tmp_path / "odd.mp4", _frames(h=47, w=63), 12)
    _one_line(err, tmp_path / "odd.mp4", "odd")
    # a real odd-sized clip (yuv444p allows it) decodes at its own size
    odd = tmp_path / "odd444.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=63x47:rate=10:duration=0.5",
                    "-c:v", "libx264", "-pix_fmt", "yuv444p", str(odd)], check=True)
    frames, fps = read_frames(odd)
    assert frames.shape == (5, 47, 63, 3) and fps == 10.0


def test_faces_read_and_bad_shapes(tmp_path):
    folder = tmp_path / "openface_face" / "c1"
    folder.mkdir(parents=True)
    crops = np.zeros((3, 112, 112, 3), np.uint8)
    np.save(folder / "c1.npy", crops)
    assert read_faces(folder).shape == (3, 112, 112, 3)
    assert read_faces(folder / "c1.npy").shape == (3, 112, 112, 3)
    np.save(folder / "c1.npy", np.zeros((0, 112, 112, 3), np.uint8))
    assert read_faces(folder).shape[0] == 0  # no face found is allowed
    np.save(folder / "c1.npy", np.zeros((3, 64, 64, 3), np.uint8))
    with pytest.raises(MediaError) as err:
        read_faces(folder)
    _one_line(err, folder / "c1.npy", "expected (T, 112, 112, 3)")
    (folder / "c1.npy").write_bytes(b"not numpy")
    with pytest.raises(MediaError) as err:
        read_faces(folder)
    _one_line(err, folder / "c1.npy", "cannot read face crops")
    np.save(folder / "c1.npy", crops)
    whole = (folder / "c1.npy").read_bytes()
    (folder / "c1.npy").write_bytes(whole[: len(whole) // 2])  # half-written
    with pytest.raises(MediaError) as err:
        read_faces(folder)
    _one_line(err, folder / "c1.npy", "truncated")
    np.save(folder / "c1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MediaError) as err:
        read_faces(folder)
    _one_line(err, folder / "c1.npy", "allow_pickle")


def test_faces_read_like_np_load(tmp_path):
    crops = np.random.default_rng(0).integers(0, 256, (4, 112, 112, 3), dtype=np.uint8)
    for name, array in [("c", crops), ("f", np.asfortranarray(crops))]:
        np.save(tmp_path / f"{name}.npy", array)
        assert np.array_equal(read_faces(tmp_path / f"{name}.npy"), np.load(tmp_path / f"{name}.npy"))


def test_face_track_headers_are_parsed_one_at_a_time_from_many_threads(tmp_path, monkeypatch):
    """.npy headers are parsed with ast, which CPython before 3.11.8 does not make thread-safe:
    extraction's decoding threads must not parse two headers at once."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    for i in range(8):
        np.save(tmp_path / f"c{i}.npy", np.full((2, 112, 112, 3), i, np.uint8))
    inside, most = [0], [0]
    guard = threading.Lock()
    real_parse = np.lib.format.read_array_header_1_0

    def counting_parse(*args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # long enough for the other threads to arrive
        try:
            return real_parse(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(np.lib.format, "read_array_header_1_0", counting_parse)
    with ThreadPoolExecutor(4) as pool:
        tracks = list(pool.map(read_faces, [tmp_path / f"c{i}.npy" for i in range(8)]))
    assert [int(t[0, 0, 0, 0]) for t in tracks] == list(range(8))
    assert most[0] == 1


def test_load_media_prefers_wav_and_falls_back_to_video_track(clip, tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((2, 112, 112, 3), np.uint8))
    sample = Sample("clip", video=clip, faces=tmp_path / "f.npy", subtitle="你好")
    media = load_media(sample, max_frames=3)
    assert media.frames.shape[0] == 3 and media.faces.shape[0] == 2 and media.subtitle == "你好"
    assert abs(len(media.audio) - SR) <= 1024
    write_wav(tmp_path / "a.wav", _tone(0.25))
    media = load_media(Sample("clip", video=clip, audio=tmp_path / "a.wav"), parts=("audio",))
    assert len(media.audio) == SR // 4 and media.frames is None and media.faces is None
    assert load_media(Sample("text-only", subtitle="hi")).audio is None
