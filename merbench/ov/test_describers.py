from merbench.contracts.describer import DescribeRequest
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
