"""merbench-vllm: MER-OV describers on vLLM's offline engine."""

__version__ = "0.1.0"
