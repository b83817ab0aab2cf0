"""The MER-OV prompts, versioned.

The describe prompts (audio / video / audio-video, subtitle given) and the label-extraction
prompt are the MER2024 baseline's (see ``docs/protocol.md``); the grouping prompt is the papers'
instruction to an LLM that groups the union of true and predicted labels into synonym lists.
The subtitle-only ("text") prompt is merbench's (the papers have none): a short question, because
SmolLM2-135M, the offline default, echoes the papers' long prompt back instead of answering it.

Every generation cache key contains the rendered prompt, so editing a prompt never serves stale
outputs; :data:`PROMPT_VERSION` names the set for result records, and
``prompts.snapshot.json`` pins the exact text (``test_prompts.py``). Change a prompt only
together with the version and the snapshot.
"""

from __future__ import annotations

from typing import Iterable

PROMPT_VERSION = "mer2024-ov-1"

_EXPERT = "As an expert in the field of emotions, please focus on "
_CLUES = " to discern clues related to the emotions of the individual. "
_ASK = "Please provide a detailed description and ultimately predict the emotional state of the individual"

#: input type -> describe prompt template with a ``{subtitle}`` field
DESCRIBE_PROMPTS: dict[str, str] = {
    "audio": (
        "Subtitle content of the audio: {subtitle}; " + _EXPERT
        + "the acoustic information and subtitle content in the audio" + _CLUES + _ASK + " in the audio."
    ),
    "video": (
        "Subtitle content of the video: {subtitle}; " + _EXPERT
        + "the facial expressions, body movements, environment, subtitle content, etc., in the video"
        + _CLUES + _ASK + " in the video."
    ),
    "audio-video": (
        "Subtitle content of the video: {subtitle}; " + _EXPERT
        + "the facial expressions, body movements, environment, acoustic information, subtitle content, etc., "
        "in the video" + _CLUES + _ASK + " in the video."
    ),
    # merbench's own: short enough that a 135M model answers instead of echoing the papers' prompt
    "text": "Subtitle: {subtitle}\nWhat emotions does the speaker feel? Answer in one sentence.",
}

EXTRACT_PROMPT = (
    "Please assume the role of an expert in the field of emotions. We provide clues that may be related "
    "to the emotions of the characters. Based on the provided clues, please identify the emotional states "
    "of the main characters. Please separate different emotional categories with commas and output only "
    "the clearly identifiable emotional categories in a list format. If none are identified, please output "
    "an empty list.\n\nInput: {description}\nOutput:"
)

GROUP_PROMPT = (
    "Please assume the role of an expert in the field of emotions. We provide a set of emotions. Please "
    "group the emotions, with each group containing synonyms. Directly output the results. The output "
    "format should be a list containing multiple lists.\n\nInput: {labels}\nOutput:"
)

#: shown when a clip has no subtitle, so the prompt never reads "Subtitle content ...: None"
NO_SUBTITLE = "(no subtitle)"


def input_type(inputs: Iterable[str]) -> str:
    """The prompt key for a describer's inputs: ``("text", "audio")`` -> ``"audio"``."""
    media = {m for m in inputs if m in ("audio", "video")}
    if media == {"audio", "video"}:
        return "audio-video"
    if media:
        return media.pop()
    return "text"


def describe_prompt(inputs: Iterable[str], subtitle: str | None) -> str:
    """The describe prompt for a model consuming ``inputs``, with the clip's subtitle filled in."""
    text = (subtitle or "").strip() or NO_SUBTITLE
    return DESCRIBE_PROMPTS[input_type(inputs)].format(subtitle=text)


def extract_prompt(description: str) -> str:
    return EXTRACT_PROMPT.format(description=description.strip())


def group_prompt(labels: Iterable[str]) -> str:
    """The grouping prompt over a sample's labels, given as a Python-style list like the papers'."""
    return GROUP_PROMPT.format(labels=repr(list(labels)))
