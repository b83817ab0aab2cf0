"""Steps as data: command-line text, YAML files, and the log summary."""

import pytest

from merbench.corrupt import load_steps_file, normalize_steps, parse_step
from merbench.corrupt.report import summarize_log


@pytest.mark.parametrize("text, expected", [
    ("blur", ("blur", {})),
    ("blur:r=2", ("blur", {"r": 2})),
    ("speech-noise:snr=[0, 5],bank=/data/musan speech", ("speech-noise", {"snr": [0, 5], "bank": "/data/musan speech"})),
    ("white-noise:snr={low: 0, high: 5}", ("white-noise", {"snr": {"low": 0, "high": 5}})),
])
def test_parse_step(text, expected):
    assert parse_step(text) == expected


def test_parse_step_rejects_a_value_without_key():
    with pytest.raises(ValueError, match="expected NAME:key=value"):
        parse_step("blur:2")


def test_steps_file(tmp_path):
    good = tmp_path / "steps.yaml"
    good.write_text("- name: speech-noise\n  params: {snr: [5, 10]}\n- name: blur\n")
    assert load_steps_file(good) == [("speech-noise", {"snr": [5, 10]}), ("blur", {})]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- corruption: blur\n")
    with pytest.raises(ValueError, match="not a list of corruption steps"):
        load_steps_file(bad)


def test_normalize_refuses_nothing():
    with pytest.raises(ValueError, match="no corruption steps"):
        normalize_steps([])


def test_summary_counts_few_levels_and_ranges_many():
    clips = {f"c{i}": [{"name": "speech-noise", "snr": 5 + 5 * (i % 2), "rescaled": False, "offset": i * 1000,
                        "noise_files": ["a.wav"]}] for i in range(20)}
    rows = {(step, field): summary for step, field, summary in summarize_log(clips)}
    assert rows[("speech-noise", "snr")] == "5: 10, 10: 10"  # numeric order
    assert rows[("speech-noise", "rescaled")] == "False: 20"
    assert rows[("speech-noise", "offset")] == "0 .. 1.9e+04 over 20 clips"
    assert ("speech-noise", "noise_files") not in rows
