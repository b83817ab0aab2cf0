import numpy as np
import pytest

from merbench.util.padding import pad_sequences


def test_pads_to_the_longest_with_a_mask():
    out, mask = pad_sequences([np.ones((2, 3)), np.full((4, 3), 2.0), np.zeros((0, 3))])
    assert out.shape == (3, 4, 3) and out.dtype == np.float32
    assert mask.tolist() == [[True, True, False, False], [True] * 4, [False] * 4]
    assert (out[0, :2] == 1).all() and (out[0, 2:] == 0).all() and (out[1] == 2).all() and (out[2] == 0).all()


def test_fixed_and_minimum_lengths_and_other_dtypes():
    assert pad_sequences([np.zeros((0, 5))], min_length=1)[0].shape == (1, 1, 5)
    out, mask = pad_sequences([np.arange(3), np.arange(1)], length=6, dtype=np.int64)
    assert out.dtype == np.int64 and out.tolist() == [[0, 1, 2, 0, 0, 0], [0] * 6] and mask.sum() == 4
    with pytest.raises(ValueError, match="more than the padded length 2"):
        pad_sequences([np.zeros((3, 1))], length=2)


def test_trailing_shape_comes_from_a_non_empty_sequence():
    out, _ = pad_sequences([np.zeros(0), np.ones((2, 2, 3))])
    assert out.shape == (2, 2, 2, 3)
