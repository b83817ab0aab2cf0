import numpy as np
import pytest

from merbench.contracts.describer import DescribeRequest
from merbench.media import write_wav
from merbench.ov.describers import TransformersDescriber
from merbench.ov.generation_cache import GenerationCache, describe_cached
from merbench.ov.prompts import describe_prompt, extract_prompt


def _requests(n):
    return [DescribeRequest(name=f"clip{i}", prompt=describe_prompt(["text"], f"happy w{i} sad"), subtitle=f"w{i}")
            for i in range(n)]


def test_tiny_random_causal_lm_runs_end_to_end_through_the_cache(tiny_causal_lm, tmp_path):
    describer = TransformersDescriber(tiny_causal_lm, max_new_tokens=6, batch_size=2, device="cpu")
    requests = _requests(3) + [DescribeRequest(name="again", prompt=extract_prompt("happy w1"))]
    cache = GenerationCache(tmp_path / "generations.sqlite")
    texts, stats = describe_cached(describer, requests, cache=cache, batch_size=3)
    assert len(texts) == 4 and all(isinstance(t, str) and t for t in texts)
    assert (stats.generated, stats.hits) == (4, 0)
    # greedy decoding is deterministic, batched or not
    assert describer.describe(requests[:1]) == texts[:1]
    # a re-run (new describer object, same model and settings) is served entirely from the cache
    again = TransformersDescriber(tiny_causal_lm, max_new_tokens=6, batch_size=2, device="cpu")
    texts_again, stats_again = describe_cached(again, requests, cache=cache)
    assert texts_again == texts and (stats_again.generated, stats_again.hits) == (0, 4)
    # a different decoding setting is a different cache key
    longer = TransformersDescriber(tiny_causal_lm, max_new_tokens=7, device="cpu")
    _, stats_longer = describe_cached(longer, requests[:1], cache=cache)
    assert stats_longer.generated == 1
    assert len(cache) == 5


def test_fingerprint_names_model_revision_and_decoding_but_not_device(tiny_causal_lm):
    fp = TransformersDescriber(tiny_causal_lm, device="cpu", batch_size=1).fingerprint()
    assert fp["revision"].startswith("local-") and fp["decoding"] == {"max_new_tokens": 48, "do_sample": False}
    assert fp == TransformersDescriber(tiny_causal_lm, device="auto", batch_size=8).fingerprint()


def test_tiny_random_audio_mllm_hears_the_clip_through_its_processor(tiny_audio_mllm, tmp_path):
    tone = (0.1 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    write_wav(tmp_path / "a.wav", tone)
    write_wav(tmp_path / "b.wav", np.zeros(8000, np.float32))
    describer = TransformersDescriber(tiny_audio_mllm, inputs=["audio"], max_new_tokens=4, device="cpu")
    requests = [DescribeRequest(name=n, prompt=describe_prompt(describer.inputs, "w1"), audio=tmp_path / f"{n}.wav")
                for n in ("a", "b")]
    texts, stats = describe_cached(describer, requests, cache=GenerationCache(tmp_path / "g.sqlite"))
    assert len(texts) == 2 and stats.generated == 2 and all(isinstance(t, str) for t in texts)
    assert describer.fingerprint()["inputs"] == ["text", "audio"]
    assert requests[0].prompt.startswith("Subtitle content of the audio: w1; As an expert")
    no_audio = DescribeRequest(name="silent-film", prompt="w1")
    with pytest.raises(ValueError, match="silent-film: describer tiny-audio-mllm.* needs audio"):
        describer.describe([no_audio])
