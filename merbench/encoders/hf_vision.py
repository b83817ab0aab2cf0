"""Visual encoders through transformers, on face crops (or detected faces): CLIP, DINOv2, VideoMAE.

Image models embed face frames one by one and the cache averages over the frames; VideoMAE embeds
a clip of frames. Two poolings (``pooling=``):

``"baseline"`` -- what the MER baseline's vision extraction script does, on the OpenFace crops
(stored BGR, turned RGB before the processor):

- frame sampling, where the script samples (DINOv2 with ``max_frames=64``, VideoMAE with the
  model's 16 frames): indices ``arange(0, T, T / min(n, T))`` cast to int, the last index repeated
  until there are n, cut to n, so a track shorter than n is padded with copies of its last frame
  and those copies weigh in the mean; CLIP (``max_frames=None``) takes every frame. Here the
  encoder reads every OpenFace crop (``prepare``) and samples them itself; VideoMAE's ``max_frames``
  then plays no part. A clip without crops (faces detected in the video, which the baseline has no
  path for) is read at ``max_frames`` evenly spaced video frames first;
- CLIP: the projected image embedding (``get_image_features``) per frame, one layer, mean over frames;
- DINOv2 and other image backbones: per frame, every hidden state *summed* over all its tokens
  (CLS and patches; the last one is the encoder's output before the final layer norm, which is what
  the script sums), no pooled output; mean over frames;
- VideoMAE: the 16 sampled frames as one clip, the last hidden state (after the final layer norm
  where the model has one) viewed as (16 / tubelet, patches per frame, D) and averaged over the
  patches, giving one vector per tubelet slice (the "frames" returned), then averaged over those.
  Every hidden state is pooled the same way, the model's final output appended as the last layer
  when it differs from the last hidden state.

``"merbench"`` (default, a named departure) -- ``max_frames`` evenly spaced frames (never
repeated); image backbones keep the CLS token of every hidden state plus the pooled (layer-normed)
output as the last layer; VideoMAE samples ``num_frames`` with ``linspace`` and averages every
hidden state over all its tokens, one "frame" per clip.

Images are preprocessed with transformers' PIL backend (its torchvision backend would need
torchvision, which drags a second torch; see offline-components.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path
from merbench.util.padding import pad_sequences

FRAME_BATCH = 64


def baseline_indices(n_total: int, n: int) -> np.ndarray:
    """The baseline's uniform sampling of ``n`` frame indices out of ``n_total`` (last one repeated to ``n``)."""
    if n_total <= 0:
        return np.zeros(0, np.int64)
    indices = np.arange(0, n_total, n_total / min(n, n_total)).astype(int).tolist()
    indices += [indices[-1]] * (n - len(indices))
    return np.asarray(indices[:n], np.int64)


def _prepare_faces(encoder: HFEncoder, sample, max_frames: int | None):
    """Face track of ``sample``: with pooling="baseline" every OpenFace crop (the encoder samples them as
    the baseline does); else, or from a video without crops, at most ``max_frames`` evenly spaced."""
    from merbench.encoders.faces import face_track

    if encoder.pooling == "baseline" and sample.faces is not None:
        return face_track(sample)
    return face_track(sample, max_frames)


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
    poolings = ("merbench", "baseline")

    def __init__(self, checkpoint: str, revision: str = "main", max_frames: int | None = None, dtype: str = "float32",
                 batch_size: int | None = None, frame_batch: int = FRAME_BATCH, pooling: str | None = None) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size, pooling=pooling)
        self.max_frames = max_frames
        self.frame_batch = int(frame_batch)

    def options(self) -> dict[str, Any]:
        return {"max_frames": self.max_frames}

    def prepare(self, sample):
        return _prepare_faces(self, sample, self.max_frames)

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
            if self.pooling == "baseline":  # every token summed, no pooled output
                return torch.stack([h.float().sum(dim=1) for h in out.hidden_states], dim=1).cpu().numpy()
            layers = [h[:, 0] for h in out.hidden_states]
            if getattr(out, "pooler_output", None) is not None:
                layers.append(out.pooler_output)
            return torch.stack(layers, dim=1).float().cpu().numpy()

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        batch = [np.asarray(f) for f in batch]
        if self.pooling == "baseline" and self.max_frames is not None:
            batch = [f[baseline_indices(len(f), self.max_frames)] for f in batch]
        frames = np.concatenate(batch)
        vectors = np.concatenate([self._embed(frames[s:s + self.frame_batch])
                                  for s in range(0, len(frames), self.frame_batch)])
        lengths = np.array([len(f) for f in batch], np.int64)
        items = np.split(vectors, np.cumsum(lengths)[:-1])
        hidden = [pad_sequences([item[:, layer] for item in items])[0] for layer in range(vectors.shape[1])]
        return EncoderOutput(hidden_states=hidden, lengths=lengths)


class VideoMAEEncoder(HFEncoder):
    modality = "visual"
    input_kind = "faces"
    version = "1"
    batch_size = 4
    poolings = ("merbench", "baseline")

    def __init__(self, checkpoint: str, revision: str = "main", max_frames: int = 16, dtype: str = "float32",
                 batch_size: int | None = None, pooling: str | None = None) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size, pooling=pooling)
        self.max_frames = int(max_frames)

    def options(self) -> dict[str, Any]:
        return {"max_frames": self.max_frames}

    def prepare(self, sample):
        return _prepare_faces(self, sample, self.max_frames)

    def load(self, device: str = "cpu") -> None:
        _load_image_model(self, device)
        self.num_frames = int(self.model.config.num_frames)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        if self.pooling == "baseline":
            return self._encode_baseline(batch)
        return self._encode_merbench(batch)

    def _encode_baseline(self, batch: list[np.ndarray]) -> EncoderOutput:
        """The baseline's uniform sampling of num_frames; tokens averaged per tubelet slice (see the module docstring)."""
        import torch

        clips = [list(np.asarray(f)[baseline_indices(len(f), self.num_frames)]) for f in batch]
        pixels = self.processor(clips, return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, dtype=next(self.model.parameters()).dtype)
        config = self.model.config
        slices = self.num_frames // config.tubelet_size
        patches = (config.image_size // config.patch_size) ** 2
        with torch.inference_mode():
            out = self.model(pixel_values=pixels, output_hidden_states=True)
        states = list(out.hidden_states)
        if getattr(self.model, "layernorm", None) is not None:
            states.append(out.last_hidden_state)
        layers = [h.float().reshape(len(batch), slices, patches, -1).mean(dim=2).cpu().numpy() for h in states]
        return EncoderOutput(hidden_states=layers, lengths=np.full(len(batch), slices, np.int64))

    def _encode_merbench(self, batch: list[np.ndarray]) -> EncoderOutput:
        import torch

        # the model takes exactly num_frames: sample evenly, repeating frames of short tracks
        clips = [list(np.asarray(f)[np.linspace(0, len(f) - 1, self.num_frames).round().astype(int)]) for f in batch]
        pixels = self.processor(clips, return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, dtype=next(self.model.parameters()).dtype)
        with torch.inference_mode():
            hidden = self.model(pixel_values=pixels, output_hidden_states=True).hidden_states
        layers = [h.float().mean(dim=1, keepdim=True).cpu().numpy() for h in hidden]
        return EncoderOutput(hidden_states=layers, lengths=np.ones(len(batch), np.int64))
