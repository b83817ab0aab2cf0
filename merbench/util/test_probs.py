import numpy as np

from merbench.util.probs import softmax


def test_rows_sum_to_one_and_keep_the_order_and_dtype():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]], np.float32)
    probs = softmax(logits)
    assert probs.dtype == np.float32 and np.allclose(probs.sum(axis=1), 1.0)
    assert probs[0].argmax() == 2 and np.allclose(probs[1], [0.5, 0.5, 0.0])


def test_matches_the_shifted_exponential():
    logits = np.random.default_rng(0).standard_normal((5, 6))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.array_equal(softmax(logits), e / e.sum(axis=1, keepdims=True))
