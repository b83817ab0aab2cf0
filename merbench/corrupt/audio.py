"""Audio corruptions: speech babble (the MER-NOISE recipe), white/pink noise, reverberation, codec loss.

All work on the float32 mono waveform of :class:`~merbench.contracts.corruption.Media` and leave
its length unchanged. Additive noises share :func:`mix_at_snr`, the challenge baseline's mixing
rule: the noise is scaled so that rms(noise) = rms(clean) / 10^(snr/20), added, and the *whole*
mix is rescaled only if it would clip (so the SNR of the mix is exact either way, but a rescaled
clip is quieter than the clean one; the log says which clips were rescaled).
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from merbench.contracts.corruption import Media
from merbench.corrupt.base import DRAWN_NUMBER, BaseCorruption, CorruptionParamError, draw

#: Largest magnitude a 16-bit PCM file stores; a mix above it is rescaled as a whole.
FULL_SCALE = 32767 / 32768
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """20·log10(rms(clean) / rms(noise)): how the Must-show check measures a mix (noise = mix − clean)."""
    return 20.0 * float(np.log10(rms(clean) / rms(noise)))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Add ``noise`` (same length) to ``clean`` at ``snr`` dB; rescale the whole mix only if it clips."""
    clean_rms, noise_rms = rms(clean), rms(noise)
    if clean_rms == 0.0:  # digital silence: no SNR is defined, so the clip stays silent
        return clean.copy(), {"snr": snr, "silent_clip": True, "rescaled": False}
    if noise_rms == 0.0:
        raise ValueError("the noise segment is digital silence, so it cannot be scaled to an SNR")
    gain = clean_rms / (10.0 ** (snr / 20.0) * noise_rms)
    mix = clean.astype(np.float64) + gain * noise.astype(np.float64)
    peak = float(np.max(np.abs(mix)))
    rescale = FULL_SCALE / peak if peak > FULL_SCALE else 1.0
    return (mix * rescale).astype(np.float32), {"snr": snr, "noise_gain": gain, "rescaled": rescale != 1.0,
                                                "mix_scale": rescale}


@functools.lru_cache(maxsize=8)
def bank_files(bank: str) -> tuple[str, ...]:
    """Audio files of a noise bank folder, relative and sorted, so a seed picks the same files anywhere.
    Listed once per process (cached): a bank changed while merbench runs is seen by the next run."""
    root = Path(bank)
    if not root.is_dir():
        raise CorruptionParamError(
            f"{bank}: noise bank folder not found; point bank= at a folder of speech recordings "
            "(MUSAN's speech/ subset, or the demo corpus's noise_bank)"
        )
    files = tuple(sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                         if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()))
    if not files:
        raise CorruptionParamError(f"{bank}: noise bank holds no {'/'.join(AUDIO_SUFFIXES)} files; add speech recordings")
    return files


@functools.lru_cache(maxsize=64)
def _bank_audio(path: str, sample_rate: int) -> np.ndarray:
    from merbench.media import read_audio

    audio = read_audio(path, sample_rate=sample_rate)
    if audio.size == 0:
        raise ValueError(f"{path}: noise file is empty; remove it from the noise bank")
    return audio


class SpeechNoise(BaseCorruption):
    """Babble from a speech noise bank at a drawn SNR, exactly as the MER-NOISE baseline built it.

    Random bank files (uniformly, with replacement) are concatenated until longer than the clip,
    a random crop of the clip's length is taken, scaled to the SNR and added (:func:`mix_at_snr`).
    The log names the files in order, the crop offset, the SNR and whether the mix was rescaled.
    """

    name = "speech-noise"
    modalities = ("audio",)
    schema = {
        "type": "object",
        "properties": {
            "bank": {"type": ["string", "null"], "default": None},
            "snr": {**DRAWN_NUMBER, "default": [5, 6, 7, 8, 9, 10]},
        },
        "additionalProperties": False,
    }

    def check(self, params: dict[str, Any]) -> None:
        if not params["bank"]:
            raise CorruptionParamError(
                "corruption 'speech-noise' needs bank=<folder of speech .wav> (MUSAN speech/, or the "
                "dataset's noise_bank: `merbench corrupt --recipe challenge` fills it in)"
            )
        bank_files(str(Path(params["bank"]).expanduser().resolve()))  # fail now, not at the first clip

    def data_identity(self) -> dict[str, Any]:
        """The bank's files (relative names) and sizes: adding, removing or replacing a noise file
        changes which noise a seed draws, so it must change the keys. (The bank is listed once per
        process, see :func:`bank_files`.)"""
        bank = Path(self._params["bank"]).expanduser().resolve()
        digest = hashlib.sha256()
        for rel in bank_files(str(bank)):
            digest.update(f"{rel}\t{(bank / rel).stat().st_size}\n".encode())
        return {"bank": f"sha256:{digest.hexdigest()[:16]}"}

    def corrupt(self, media, rng, params):
        if media.audio is None:
            return media, {"skipped": "no audio"}
        snr = draw(rng, params["snr"])
        bank = str(Path(params["bank"]).expanduser().resolve())
        files = bank_files(bank)
        n = len(media.audio)
        chosen, pieces, total = [], [], 0
        while total <= n:
            rel = files[int(rng.integers(len(files)))]
            piece = _bank_audio(str(Path(bank) / rel), media.sample_rate)
            chosen.append(rel)
            pieces.append(piece)
            total += len(piece)
        offset = int(rng.integers(0, total - n + 1))
        noise = np.concatenate(pieces)[offset:offset + n]
        mixed, info = mix_at_snr(media.audio, noise, snr)
        return media.with_(audio=mixed), {"noise_files": chosen, "offset": offset, **info}


class _SyntheticNoise(BaseCorruption):
    """Stationary Gaussian noise of one colour at a drawn SNR; the log holds the noise seed."""

    modalities = ("audio",)
    schema = {
        "type": "object",
        "properties": {"snr": {**DRAWN_NUMBER, "default": [0, 5, 10, 15, 20]}},
        "additionalProperties": False,
    }

    def shape(self, white: np.ndarray) -> np.ndarray:
        return white

    def corrupt(self, media, rng, params):
        if media.audio is None:
            return media, {"skipped": "no audio"}
        snr = draw(rng, params["snr"])
        noise_seed = int(rng.integers(2**32))
        noise = self.shape(np.random.default_rng(noise_seed).standard_normal(len(media.audio)))
        mixed, info = mix_at_snr(media.audio, noise, snr)
        return media.with_(audio=mixed), {"noise_seed": noise_seed, **info}


class WhiteNoise(_SyntheticNoise):
    """Flat-spectrum Gaussian noise at a drawn SNR."""

    name = "white-noise"


class PinkNoise(_SyntheticNoise):
    """1/f (pink) Gaussian noise at a drawn SNR, shaped in the frequency domain."""

    name = "pink-noise"

    def shape(self, white: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft(white)
        freqs = np.arange(len(spectrum), dtype=np.float64)
        freqs[0] = 1.0  # keep the DC bin finite; its weight is the same as the first bin's
        return np.fft.irfft(spectrum / np.sqrt(freqs), n=len(white))


class Reverb(BaseCorruption):
    """Reverberation by a synthetic room impulse response: a unit direct path plus an exponentially
    decaying Gaussian tail that falls 60 dB in ``rt60`` seconds, starting ``predelay_ms`` later.
    The wet signal keeps the clean RMS (rescaled as a whole if it would clip)."""

    name = "reverb"
    modalities = ("audio",)
    schema = {
        "type": "object",
        "properties": {
            "rt60": {**DRAWN_NUMBER, "default": [0.3, 0.6, 0.9]},
            "predelay_ms": {"type": "number", "minimum": 0, "default": 5},
            "tail_gain": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
        },
        "additionalProperties": False,
    }

    def check(self, params):
        values = params["rt60"] if isinstance(params["rt60"], list) else [params["rt60"]]
        if isinstance(params["rt60"], dict):
            values = [params["rt60"]["low"], params["rt60"]["high"]]
        if min(values) <= 0:
            raise CorruptionParamError("corruption 'reverb': rt60 must be > 0 seconds")

    @staticmethod
    def impulse_response(rt60: float, sample_rate: int, predelay_ms: float, tail_gain: float, seed: int) -> np.ndarray:
        predelay = int(round(predelay_ms * sample_rate / 1000))
        t = np.arange(int(rt60 * sample_rate)) / sample_rate
        tail = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-3.0 * np.log(10.0) * t / rt60)
        tail *= tail_gain / np.sqrt(np.sum(tail**2))  # tail energy = tail_gain² × direct energy
        rir = np.zeros(predelay + len(t) + 1)
        rir[0] = 1.0
        rir[predelay + 1:] = tail
        return rir

    def corrupt(self, media, rng, params):
        if media.audio is None:
            return media, {"skipped": "no audio"}
        from scipy.signal import fftconvolve

        rt60 = draw(rng, params["rt60"])
        rir_seed = int(rng.integers(2**32))
        rir = self.impulse_response(rt60, media.sample_rate, params["predelay_ms"], params["tail_gain"], rir_seed)
        clean = media.audio.astype(np.float64)
        wet = fftconvolve(clean, rir)[: len(clean)]
        wet_rms = rms(wet)
        scale = rms(clean) / wet_rms if wet_rms > 0 else 1.0
        peak = float(np.max(np.abs(wet * scale))) if wet.size else 0.0
        if peak > FULL_SCALE:
            scale *= FULL_SCALE / peak
        return media.with_(audio=(wet * scale).astype(np.float32)), {"rt60": rt60, "rir_seed": rir_seed,
                                                                     "gain": scale}


#: codec name -> (PyAV encoder, container format)
CODECS = {"mp3": ("libmp3lame", "mp3"), "aac": ("aac", "adts"), "opus": ("libopus", "ogg")}


def codec_roundtrip(audio: np.ndarray, sample_rate: int, codec: str, bitrate_kbps: int) -> tuple[np.ndarray, int]:
    """Encode ``audio`` with a lossy codec in memory and decode it back (PyAV); returns the decoded
    signal aligned to the input and cut to its length, and the encoder delay that was removed."""
    import av

    encoder, container_format = CODECS[codec]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(encoder, rate=sample_rate, layout="mono")
        stream.bit_rate = bitrate_kbps * 1000
        frame = av.AudioFrame.from_ndarray(audio.astype(np.float32)[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    buffer.seek(0)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks = []
    with av.open(buffer, "r") as container:
        for decoded in container.decode(audio=0):
            for out in resampler.resample(decoded):
                chunks.append(out.to_ndarray().reshape(-1))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    decoded = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    delay = _encoder_delay(audio, decoded)
    aligned = decoded[delay: delay + len(audio)]
    return np.pad(aligned, (0, len(audio) - len(aligned))).astype(np.float32), delay


def _encoder_delay(reference: np.ndarray, decoded: np.ndarray, max_delay: int = 4096) -> int:
    """Lag (samples) of ``decoded`` behind ``reference``: argmax of their cross-correlation."""
    from scipy.signal import correlate

    span = min(len(reference), 4 * 16000)
    if span == 0 or len(decoded) <= span:
        return 0
    window = decoded[: span + max_delay]
    corr = correlate(window, reference[:span], mode="valid", method="fft")
    return int(np.argmax(corr[: max_delay + 1]))


class Codec(BaseCorruption):
    """Low-bitrate lossy audio: an in-memory encode/decode round trip through PyAV (mp3/aac/opus)."""

    name = "codec"
    modalities = ("audio",)
    schema = {
        "type": "object",
        "properties": {
            "codec": {"enum": sorted(CODECS), "default": "mp3"},
            "bitrate_kbps": {"oneOf": [{"type": "integer", "minimum": 6},
                                       {"type": "array", "items": {"type": "integer", "minimum": 6}, "minItems": 1}],
                             "default": [16, 24, 32]},
        },
        "additionalProperties": False,
    }

    def corrupt(self, media, rng, params):
        if media.audio is None:
            return media, {"skipped": "no audio"}
        bitrate = int(draw(rng, params["bitrate_kbps"]))
        decoded, delay = codec_roundtrip(media.audio, media.sample_rate, params["codec"], bitrate)
        return media.with_(audio=decoded), {"codec": params["codec"], "bitrate_kbps": bitrate, "delay": delay}
