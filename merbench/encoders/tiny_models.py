"""Tiny randomly initialised models of every transformers family merbench wraps, saved to folders.

Tests (and ``benchmarks/extract.py``) load them through the real ``from_pretrained`` path. Weights
are seeded, so their features are reproducible for the golden-feature tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("今天真开心我很难过生气了吗好的是不你他她们的一二三四五") + \
    [w for w in "i am so happy sad angry today the for time th it is what".split()] + [str(i) for i in range(10)]

_AUDIO_SSL = dict(hidden_size=32, num_hidden_layers=5, num_attention_heads=2, intermediate_size=48,
                  conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, vocab_size=8)
_TEXT = dict(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=5, num_attention_heads=2, intermediate_size=48)
_VISION = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=48, image_size=32)


def _save_tokenizer(folder: Path) -> None:
    from transformers import BertTokenizerFast

    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n")
    BertTokenizerFast(str(vocab), tokenize_chinese_chars=True, do_lower_case=True).save_pretrained(folder)


def _audio(config_cls: str, norm: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        import transformers
        from transformers import AutoModel, Wav2Vec2FeatureExtractor

        config = getattr(transformers, config_cls)(**_AUDIO_SSL, feat_extract_norm=norm,
                                                   do_stable_layer_norm=norm == "layer")
        AutoModel.from_config(config).save_pretrained(folder)
        Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                 return_attention_mask=norm == "layer").save_pretrained(folder)
    return build


def _whisper(folder: Path) -> None:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    config = WhisperConfig(vocab_size=64, num_mel_bins=80, d_model=32, encoder_layers=2, decoder_layers=2,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=48, decoder_ffn_dim=48,
                           pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    WhisperModel(config).save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)


def _text(config_cls: str, **extra) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        import transformers
        from transformers import AutoModel

        AutoModel.from_config(getattr(transformers, config_cls)(**{**_TEXT, **extra})).save_pretrained(folder)
        _save_tokenizer(folder)
    return build


def _xlnet(folder: Path) -> None:
    from transformers import AutoModel, XLNetConfig

    config = XLNetConfig(vocab_size=len(VOCAB), d_model=32, n_layer=5, n_head=2, d_inner=48)
    AutoModel.from_config(config).save_pretrained(folder)
    _save_tokenizer(folder)


def _bloom(folder: Path) -> None:
    from transformers import AutoModel, BloomConfig

    config = BloomConfig(vocab_size=len(VOCAB), hidden_size=32, n_layer=5, n_head=2)
    AutoModel.from_config(config).save_pretrained(folder)
    _save_tokenizer(folder)


def _clip(folder: Path) -> None:
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    config = CLIPConfig(text_config=dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         bos_token_id=1, eos_token_id=2, pad_token_id=0,
                                         intermediate_size=48),
                        vision_config=dict(_VISION, patch_size=16), projection_dim=16)
    CLIPModel(config).save_pretrained(folder)
    CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)


def _dinov2(folder: Path) -> None:
    from transformers import BitImageProcessorPil, Dinov2Config, Dinov2Model

    Dinov2Model(Dinov2Config(**_VISION, patch_size=8)).save_pretrained(folder)
    BitImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                      image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225]).save_pretrained(folder)


def _videomae(folder: Path) -> None:
    from transformers import VideoMAEConfig, VideoMAEImageProcessorPil, VideoMAEModel

    VideoMAEModel(VideoMAEConfig(**_VISION, patch_size=8, num_frames=4, tubelet_size=2)).save_pretrained(folder)
    VideoMAEImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)


#: family -> builder; every registered transformers encoder resolves to one of these classes
BUILDERS: dict[str, Callable[[Path], None]] = {
    "hubert": _audio("HubertConfig", "layer"),
    "wav2vec2": _audio("Wav2Vec2Config", "group"),
    "wavlm": _audio("WavLMConfig", "layer"),
    "whisper": _whisper,
    "bert": _text("BertConfig"),
    "roberta": _text("BertConfig"),  # hfl's RoBERTa-wwm, MacBERT, PERT and LERT are BERT architectures
    "electra": _text("ElectraConfig", embedding_size=32),
    "xlnet": _xlnet,
    "bloom": _bloom,
    "clip": _clip,
    "dinov2": _dinov2,
    "videomae": _videomae,
}


def build(family: str, folder: str | Path, seed: int = 0) -> Path:
    """Build the tiny model of ``family`` with seeded weights into ``folder``; returns the folder."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    BUILDERS[family](folder)
    return folder
