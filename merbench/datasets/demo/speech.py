"""Emotional speech with espeak-ng: per-emotion pitch, pitch range, rate and loudness, per-speaker voice."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

#: Prosody offsets at full intensity: pitch (espeak -p units), pitch range (SSML percent), rate
#: (relative), loudness (relative amplitude).
PROSODY = {
    "neutral": dict(pitch=0, range=0, rate=1.0, loud=1.0),
    "angry": dict(pitch=12, range=60, rate=1.3, loud=1.9),
    "happy": dict(pitch=28, range=100, rate=1.15, loud=1.35),
    "sad": dict(pitch=-24, range=-70, rate=0.7, loud=0.55),
    "worried": dict(pitch=8, range=-35, rate=0.85, loud=0.75),
    "surprise": dict(pitch=40, range=140, rate=1.0, loud=1.5),
}

ENGLISH_VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f2", "en-gb+f4", "en-us+m7", "en+f3", "en+m2")
CHINESE_VOICES = ("cmn", "cmn+f2", "cmn+m3", "cmn+f4", "cmn+m1")


@dataclass(frozen=True)
class Voice:
    """One speaker's voice: espeak voice, language of the subtitle it reads, and its own prosody baseline."""

    espeak: str
    language: str  # "zh" or "en"
    pitch: int  # espeak -p
    rate: int  # words per minute
    amplitude: int  # espeak -a

    @classmethod
    def random(cls, rng: np.random.Generator, language: str) -> "Voice":
        voices = CHINESE_VOICES if language == "zh" else ENGLISH_VOICES
        # espeak's Mandarin is slow at the same words-per-minute: speed it up to keep clips 2-6 s
        base_rate = 225 if language == "zh" else 165
        return cls(str(voices[rng.integers(len(voices))]), language, int(rng.integers(38, 58)),
                   int(base_rate * rng.uniform(0.9, 1.1)), int(rng.integers(70, 110)))


def require_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError("espeak-ng not found: the demo corpus needs it; install it with "
                           "`sudo apt-get install espeak-ng` (or run scripts/install-system-deps.sh)")
    return path


def synthesise(text: str, voice: Voice, emotion: str, intensity: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Float32 mono speech of ``text`` and its sample rate (espeak's 22,050 Hz)."""
    import soundfile

    p = PROSODY[emotion]
    jitter = rng.normal(0, 1, 4)
    pitch = int(np.clip(voice.pitch + intensity * p["pitch"] + 3 * jitter[0], 0, 99))
    rate = int(np.clip(voice.rate * (1 + intensity * (p["rate"] - 1)) * (1 + 0.05 * jitter[1]), 80, 320))
    amplitude = int(np.clip(voice.amplitude * (1 + intensity * (p["loud"] - 1)) * (1 + 0.08 * jitter[2]), 10, 200))
    pitch_range = intensity * p["range"] + 15 * jitter[3]
    ssml = f'<speak><prosody range="{_range_keyword(pitch_range)}">{escape(text)}</prosody></speak>'
    result = subprocess.run(
        [require_espeak(), "-m", "-v", voice.espeak, "-p", str(pitch), "-s", str(rate), "-a", str(amplitude), "--stdout", ssml],
        capture_output=True, check=False,
    )
    if result.returncode != 0 or not result.stdout:
        raise RuntimeError(f"espeak-ng failed for voice {voice.espeak!r}: {result.stderr.decode(errors='replace').strip()}")
    audio, rate_hz = soundfile.read(io.BytesIO(result.stdout), dtype="float32")
    return voice_quality(audio, int(rate_hz), emotion, intensity), int(rate_hz)


def voice_quality(audio: np.ndarray, rate: int, emotion: str, intensity: float) -> np.ndarray:
    """Timbre cues espeak lacks: a harsh, saturated voice when angry; a dull, breathy one when sad; a
    trembling one when worried; a brighter one when happy. Level is kept; loudness is set by espeak."""
    x = audio.astype(np.float32)
    peak = float(np.abs(x).max()) or 1.0
    if emotion == "angry":
        drive = 1 + 5 * intensity
        x = np.tanh(drive * x / peak) / np.tanh(drive) * peak
    elif emotion == "sad":
        taps = 1 + int(round(6 * intensity))  # moving average: a low-pass that dulls the voice
        x = np.convolve(x, np.ones(taps, np.float32) / taps, mode="same")
    elif emotion == "worried":
        t = np.arange(len(x)) / rate
        x = x * (1 + 0.45 * intensity * np.sin(2 * np.pi * 7.0 * t)).astype(np.float32)
    elif emotion == "happy":
        x = x + 0.5 * intensity * np.concatenate([[0], np.diff(x)]).astype(np.float32)  # brighter: more highs
    return (x * (peak / (float(np.abs(x).max()) or 1.0))).astype(np.float32)


def _range_keyword(percent: float) -> str:
    """espeak-ng honours SSML pitch-range keywords (it ignores percentages)."""
    for limit, keyword in ((-50, "x-low"), (-15, "low"), (30, "medium"), (90, "high")):
        if percent < limit:
            return keyword
    return "x-high"
