"""Prompt snapshots: the exact text of every built-in prompt is pinned in ``prompts.snapshot.json``.

A prompt change must come with a new :data:`PROMPT_VERSION` and a regenerated snapshot
(``python -m merbench.ov.test_prompts``), because published scores depend on the wording.
"""

import json
from pathlib import Path

from merbench.ov import prompts

SNAPSHOT = Path(__file__).with_name("prompts.snapshot.json")
SUBTITLE = "我不信你会这样做。(I don't believe you would do this.)"


def render() -> dict:
    return {
        "version": prompts.PROMPT_VERSION,
        "describe": {kind: prompts.describe_prompt(inputs, SUBTITLE) for kind, inputs in
                     {"audio": ["audio"], "video": ["video"], "audio-video": ["audio", "video"], "text": ["text"]}.items()},
        "describe_without_subtitle": prompts.describe_prompt(["text"], None),
        "extract": prompts.extract_prompt("The speaker frowns and raises her voice; she seems angry."),
        "group": prompts.group_prompt(["happy", "joyful", "sad"]),
    }


def test_prompts_match_the_snapshot():
    assert render() == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_papers_wording_is_kept():
    assert prompts.DESCRIBE_PROMPTS["audio"].startswith("Subtitle content of the audio: {subtitle}; As an expert")
    assert "facial expressions, body movements, environment, acoustic information" in prompts.DESCRIBE_PROMPTS["audio-video"]
    assert prompts.EXTRACT_PROMPT.startswith("Please assume the role of an expert in the field of emotions.")
    assert prompts.input_type(["text", "video", "audio"]) == "audio-video"


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(render(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
