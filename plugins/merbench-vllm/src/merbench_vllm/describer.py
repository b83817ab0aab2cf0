"""The ``vllm`` describer: the same prompts and models as merbench's transformers backend, served by
vLLM's offline engine for throughput on GPUs (the MER tracks ask for predictions over ~10^5 clips)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from merbench.contracts.describer import DescribeRequest, Describer

_MEDIA = ("audio", "video")


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise RuntimeError(
            f"the vllm describer needs vLLM ({exc}); install it in a CUDA environment with "
            "`pip install ./plugins/merbench-vllm` (vLLM has no CPU wheel), or use the 'transformers' describer"
        ) from None
    return vllm


class VLLMDescriber(Describer):
    """Generate with ``vllm.LLM``; parameters mirror :class:`merbench.ov.describers.TransformersDescriber`."""

    def __init__(
        self,
        model: str | Path,
        *,
        revision: str | None = None,
        inputs: Sequence[str] = ("text",),
        max_new_tokens: int = 48,
        do_sample: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int = 0,
        system_prompt: str | None = None,
        max_frames: int = 8,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.85,
        max_model_len: int | None = None,
        tensor_parallel_size: int = 1,
        trust_remote_code: bool = False,
        batch_size: int | None = None,
        name: str = "vllm",
        display_name: str | None = None,
    ) -> None:
        unknown = set(inputs) - {"text", *_MEDIA}
        if unknown:
            raise ValueError(f"describer inputs must be among text, audio, video; got {sorted(unknown)}")
        self.model_id = str(model)
        self.revision = revision
        self.inputs = tuple(dict.fromkeys(["text", *inputs]))
        self.max_new_tokens = int(max_new_tokens)
        self.do_sample = bool(do_sample)
        self.temperature = temperature
        self.top_p = top_p
        self.seed = int(seed)
        self.system_prompt = system_prompt
        self.max_frames = int(max_frames)
        self.dtype = dtype
        self.engine_args = {"gpu_memory_utilization": gpu_memory_utilization, "max_model_len": max_model_len,
                            "tensor_parallel_size": tensor_parallel_size}
        self.trust_remote_code = trust_remote_code
        self.batch_size = batch_size  # vLLM schedules its own batches; kept for a uniform describer API
        self.name = name
        self.display_name = display_name or Path(self.model_id).name
        self._llm: Any = None
        self._processor: Any = None
        _import_vllm()  # fail at build time, with the fix, not at the first clip

    @property
    def multimodal(self) -> bool:
        return any(m in self.inputs for m in _MEDIA)

    def _engine(self) -> Any:
        if self._llm is None:
            vllm = _import_vllm()
            limits = {m: 1 for m in _MEDIA if m in self.inputs}
            args = {k: v for k, v in self.engine_args.items() if v is not None}
            self._llm = vllm.LLM(model=self.model_id, revision=self.revision, dtype=self.dtype, seed=self.seed,
                                 trust_remote_code=self.trust_remote_code,
                                 limit_mm_per_prompt=limits or None, **args)
            if self.multimodal:
                from transformers import AutoProcessor

                self._processor = AutoProcessor.from_pretrained(self.model_id, revision=self.revision,
                                                                trust_remote_code=self.trust_remote_code)
        return self._llm

    def _sampling(self) -> Any:
        vllm = _import_vllm()
        if not self.do_sample:
            return vllm.SamplingParams(temperature=0.0, max_tokens=self.max_new_tokens)
        return vllm.SamplingParams(temperature=self.temperature or 1.0, top_p=self.top_p or 1.0,
                                   seed=self.seed, max_tokens=self.max_new_tokens)

    def _system(self) -> list[dict[str, Any]]:
        return [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []

    def _multimodal_input(self, request: DescribeRequest) -> dict[str, Any]:
        from merbench.media import read_audio, read_frames

        content: list[dict[str, Any]] = []
        data: dict[str, Any] = {}
        if "video" in self.inputs:
            if request.video is None:
                raise ValueError(f"{request.name}: describer {self.display_name} needs video but the sample has none")
            frames, _fps = read_frames(request.video, max_frames=self.max_frames)
            content.append({"type": "video"})
            data["video"] = frames
        if "audio" in self.inputs:
            source = request.audio or request.video
            if source is None:
                raise ValueError(f"{request.name}: describer {self.display_name} needs audio but the sample has none")
            content.append({"type": "audio"})
            data["audio"] = (read_audio(source, sample_rate=16000), 16000)
        content.append({"type": "text", "text": request.prompt})
        messages = self._system() + [{"role": "user", "content": content}]
        prompt = self._processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return {"prompt": prompt, "multi_modal_data": data}

    def describe(self, requests: list[DescribeRequest]) -> list[str]:
        llm = self._engine()
        if self.multimodal:
            outputs = llm.generate([self._multimodal_input(r) for r in requests], self._sampling(), use_tqdm=False)
        else:
            conversations = [self._system() + [{"role": "user", "content": r.prompt}] for r in requests]
            outputs = llm.chat(conversations, self._sampling(), use_tqdm=False)
        return [output.outputs[0].text.strip() for output in outputs]

    def fingerprint(self) -> dict[str, Any]:
        from importlib import metadata

        decoding: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample}
        if self.do_sample:
            decoding.update({"temperature": self.temperature, "top_p": self.top_p, "seed": self.seed})
        return {
            "backend": "vllm",
            "vllm": metadata.version("vllm"),
            "model": self.display_name,
            "source": self.model_id,
            "revision": self.revision,
            "dtype": self.dtype,
            "inputs": list(self.inputs),
            "system_prompt": self.system_prompt,
            "max_frames": self.max_frames if "video" in self.inputs else None,
            "decoding": decoding,
        }
