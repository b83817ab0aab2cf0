"""Property tests of the ``key=value`` grammar: any strings give a dict or a one-line ValueError."""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from merbench.util.params import parse_pairs, parse_value

SYNTAX = "[]{}(),:='\"!&*|>%@`#-?\\ \t\n.0123456789abexyz"
texts = st.one_of(st.text(max_size=40), st.text(alphabet=SYNTAX, max_size=40))


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=4))
@example(["a=" + "[" * 2000])
@example(["a=" + "{a: " * 500])
@example(["a=&x *x"])
@example(["a=" + "1" * 5000])
@example(["a=[" + "1" * 5000 + "]"])
@example(["a={k: " + "1" * 5000 + "}"])
def test_parse_pairs_gives_a_dict_or_a_one_line_value_error(pairs):
    try:
        params = parse_pairs(pairs)
    except ValueError as exc:
        assert type(exc) is ValueError and "\n" not in str(exc) and "key=value" in str(exc)
    else:
        assert isinstance(params, dict) and all(isinstance(k, str) and k == k.strip() and k for k in params)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_parse_value_never_raises(text):
    parse_value(text)
