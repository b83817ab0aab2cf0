"""Hook implementations. Cheap on purpose: vLLM is imported only when the describer is built."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_describers(register):
    register(
        "vllm",
        "merbench_vllm.describer:VLLMDescriber",
        summary="Causal LMs and audio/video MLLMs on vLLM's offline engine (CUDA only).",
        card={"backend": "vllm", "devices": ("cuda",), "inputs": ("text", "audio", "video")},
        defaults={"max_new_tokens": 48},
    )
