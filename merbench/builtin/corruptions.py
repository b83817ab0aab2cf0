"""Built-in media corruptions, the corrupted-dataset reader and the noise commands (corrupt, robustness)."""

from merbench.hookspecs import hookimpl

_AUDIO = {"modalities": ("audio",)}
_VIDEO = {"modalities": ("video",)}


@hookimpl
def register_corruptions(register):
    register("speech-noise", "merbench.corrupt.audio:SpeechNoise",
             summary="Additive speech babble from a noise bank at a drawn SNR (the MER-NOISE audio recipe).",
             card={**_AUDIO, "params": {"bank": "folder of speech recordings (MUSAN speech/)",
                                        "snr": "dB: number, list or {low, high}; challenge 5..10"}})
    register("white-noise", "merbench.corrupt.audio:WhiteNoise",
             summary="Additive white Gaussian noise at a drawn SNR.", card={**_AUDIO, "params": {"snr": "dB"}})
    register("pink-noise", "merbench.corrupt.audio:PinkNoise",
             summary="Additive pink (1/f) Gaussian noise at a drawn SNR.", card={**_AUDIO, "params": {"snr": "dB"}})
    register("reverb", "merbench.corrupt.audio:Reverb",
             summary="Reverberation by a synthetic exponentially decaying room impulse response.",
             card={**_AUDIO, "params": {"rt60": "s", "predelay_ms": "ms", "tail_gain": "tail/direct amplitude"}})
    register("codec", "merbench.corrupt.audio:Codec",
             summary="Low-bitrate lossy audio (mp3/aac/opus encode-decode through PyAV).",
             card={**_AUDIO, "params": {"codec": "mp3 | aac | opus", "bitrate_kbps": "int or list"}})
    register("blur", "merbench.corrupt.video:Blur",
             summary="Gaussian-pyramid blur by r per video (the MER-NOISE video recipe, r in {1, 2, 4}).",
             card={**_VIDEO, "params": {"r": "power of two or list", "face_fraction": "face height / frame height"}})
    register("frame-drop", "merbench.corrupt.video:FrameDrop",
             summary="Drop frames with probability p, freezing the last kept frame.", card={**_VIDEO, "params": {"p": "[0, 1)"}})
    register("occlusion", "merbench.corrupt.video:Occlusion",
             summary="A static grey square over a fraction of every frame and face crop.",
             card={**_VIDEO, "params": {"area": "fraction", "value": "grey level"}})
    register("jpeg", "merbench.corrupt.video:Jpeg",
             summary="JPEG compression of every frame and face crop at a drawn quality.",
             card={**_VIDEO, "params": {"quality": "1-100 or list"}})
    register("modality-dropout", "merbench.corrupt.dropout:ModalityDropout",
             summary="Whole-modality dropout: silent audio, empty face track or empty subtitle.",
             card={"modalities": ("audio", "video", "text"), "params": {"drop": "audio, face, subtitle", "mode": "one | all", "p": "probability"}})


@hookimpl
def register_datasets(register):
    register("corrupted", "merbench.corrupt.dataset:CorruptedDataset",
             summary="A corrupted copy of a dataset split written by `merbench corrupt` (processed layout + corruption log).",
             card={"layout": "processed", "marker": "corruption.json"})


@hookimpl
def register_commands(register):
    register("corrupt", "merbench.cli.corrupt:corrupt",
             summary="Write a seeded, logged corrupted copy of a dataset split (MER-NOISE and beyond).")
    register("robustness", "merbench.cli.robustness:robustness",
             summary="Score one trained model across a sweep of corruption levels.")
