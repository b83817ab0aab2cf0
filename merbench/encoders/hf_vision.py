"""Visual encoders through transformers, on face crops (or detected faces): CLIP, DINOv2, VideoMAE.

As the MER baseline, image models embed every sampled face frame and the frames are averaged:

- CLIP: the projected image embedding (``get_image_features``), one layer;
- DINOv2 and other image backbones: the CLS token of every hidden state, plus the model's pooled
  (layer-normed) output as the last layer;
- VideoMAE: a clip of ``num_frames`` evenly sampled faces (16) through the video model, every
  hidden state averaged over its tokens; one "frame" per clip.

Images are preprocessed with transformers' PIL backend (its torchvision backend would need
torchvision, which drags a second torch; see offline-components.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path

FRAME_BATCH = 64


def _load_image_model(encoder: HFEncoder, device: str) -> None:
    """The checkpoint's image processor (PIL backend: torchvision would pull a second torch) and model."""
    from transformers import AutoImageProcessor, AutoModel

    path = checkpoint_path(encoder.checkpoint)
    kwargs = encoder.pretrained_kwargs()
    encoder.processor = AutoImageProcessor.from_pretrained(path, backend="pil", **kwargs)
    encoder.model = encoder.place(AutoModel.from_pretrained(path, **kwargs), device)


class ImageEncoder(HFEncoder):
    modality = "visual"
    input_kind = "faces"
    version = "1"
    batch_size = 8

    def __init__(self, checkpoint: str, revision: str = "main", max_frames: int | None = None, dtype: str = "float32",
                 batch_size: int | None = None, frame_batch: int = FRAME_BATCH) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size)
        self.max_frames = max_frames
        self.frame_batch = int(frame_batch)

    def options(self) -> dict[str, Any]:
        return {"max_frames": self.max_frames}

    def load(self, device: str = "cpu") -> None:
        _load_image_model(self, device)
        self.is_clip = hasattr(self.model, "get_image_features")

    def _embed(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) RGB -> (N, L, D) per-frame vectors."""
        import torch

        pixels = self.processor(images=list(images), return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, dtype=next(self.model.parameters()).dtype)
        with torch.inference_mode():
            if self.is_clip:
                out = self.model.get_image_features(pixel_values=pixels)
                embeds = out if isinstance(out, torch.Tensor) else out.pooler_output
                return embeds.float().cpu().numpy()[:, None, :]
            out = self.model(pixel_values=pixels, output_hidden_states=True)
            layers = [h[:, 0] for h in out.hidden_states]
            if getattr(out, "pooler_output", None) is not None:
                layers.append(out.pooler_output)
            return torch.stack(layers, dim=1).float().cpu().numpy()

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        frames = np.concatenate([np.asarray(f) for f in batch])
        vectors = np.concatenate([self._embed(frames[s:s + self.frame_batch])
                                  for s in range(0, len(frames), self.frame_batch)])
        lengths = np.array([len(f) for f in batch], np.int64)
        hidden = np.zeros((vectors.shape[1], len(batch), int(lengths.max()), vectors.shape[2]), np.float32)
        start = 0
        for i, n in enumerate(lengths):
            hidden[:, i, :n] = vectors[start:start + n].transpose(1, 0, 2)
            start += n
        return EncoderOutput(hidden_states=list(hidden), lengths=lengths)


class VideoMAEEncoder(HFEncoder):
    modality = "visual"
    input_kind = "faces"
    version = "1"
    batch_size = 4

    def __init__(self, checkpoint: str, revision: str = "main", max_frames: int = 16, dtype: str = "float32",
                 batch_size: int | None = None) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size)
        self.max_frames = int(max_frames)

    def options(self) -> dict[str, Any]:
        return {"max_frames": self.max_frames}

    def load(self, device: str = "cpu") -> None:
        _load_image_model(self, device)
        self.num_frames = int(self.model.config.num_frames)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        import torch

        # the model takes exactly num_frames: sample evenly, repeating frames of short tracks
        clips = [list(np.asarray(f)[np.linspace(0, len(f) - 1, self.num_frames).round().astype(int)]) for f in batch]
        pixels = self.processor(clips, return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, dtype=next(self.model.parameters()).dtype)
        with torch.inference_mode():
            hidden = self.model(pixel_values=pixels, output_hidden_states=True).hidden_states
        layers = [h.float().mean(dim=1, keepdim=True).cpu().numpy() for h in hidden]
        return EncoderOutput(hidden_states=layers, lengths=np.ones(len(batch), np.int64))
