import click
import pytest

from merbench.cli.options import parse_params


def test_pairs_follow_the_one_grammar():
    assert parse_params(("lr=1e-3", "snr=[5, 10]", "path=/models/x", "n=32")) == {
        "lr": 1e-3, "snr": [5, 10], "path": "/models/x", "n": 32}


def test_a_bad_pair_names_the_option_and_an_example():
    with pytest.raises(click.BadParameter, match="e.g. --encoder-param max_new_tokens=32") as info:
        parse_params(("oops",), "--encoder-param", example="max_new_tokens=32")
    assert info.value.param_hint == "--encoder-param"
