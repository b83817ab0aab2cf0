"""Property tests of the MER-OV parsers: random text gives a value or the parser's one-line error."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import example, given, settings, strategies as st

from merbench.ov.groupers import read_grouping
from merbench.ov.labels import parse_groups, parse_labels
from merbench.ov.scoring import LITERAL, OFFICIAL, NotAList, parse_grouping_string, parse_label_cell, read_label_file

SYNTAX = "[]{}(),:;'\"，、“”‘’【】 \t\n-*.1ab_\\`"
texts = st.one_of(st.text(max_size=60), st.text(alphabet=SYNTAX, max_size=60))
modes = st.sampled_from([OFFICIAL, LITERAL])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                           max_leaves=8)


def _one_line(exc: BaseException) -> bool:
    return bool(str(exc)) and "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(texts | st.none())
@example("[" * 3000)
@example("[" + "(" * 300 + "]")
@example("```python\n['a', 'b']\n```")
def test_parse_labels_gives_a_list_of_strings(text):
    labels = parse_labels(text)
    assert isinstance(labels, list) and all(isinstance(x, str) and x for x in labels)
    assert len(labels) == len(set(labels))


@settings(max_examples=200, deadline=None)
@given(texts | st.none())
@example("[[" + "[" * 3000 + "]]")
def test_parse_groups_gives_a_list_of_string_lists(text):
    groups = parse_groups(text)
    assert isinstance(groups, list) and all(isinstance(g, list) and all(isinstance(m, str) for m in g) for g in groups)


@settings(max_examples=200, deadline=None)
@given(texts | st.none(), modes)
@example("[" + "[" * 3000 + "]", LITERAL)
@example("[" + "-" * 100000 + "1]", LITERAL)
def test_parse_label_cell_gives_labels_or_not_a_list(cell, mode):
    try:
        labels = parse_label_cell(cell, mode)
    except NotAList as exc:
        assert _one_line(exc)
    else:
        assert isinstance(labels, list) and all(isinstance(x, str) for x in labels)


@settings(max_examples=200, deadline=None)
@given(texts, modes)
@example("[" * 3000, LITERAL)
def test_parse_grouping_string_gives_groups_or_not_a_list(text, mode):
    try:
        groups = parse_grouping_string(text, mode)
    except NotAList as exc:
        assert _one_line(exc)
    else:
        assert all(isinstance(g, list) and all(isinstance(m, str) for m in g) for g in groups)


def _file_contents():
    lines = st.one_of(texts, json_values.map(json.dumps),
                      st.fixed_dictionaries({"name": json_values, "groups": json_values | texts}).map(json.dumps),
                      st.fixed_dictionaries({"name": json_values, "openset": json_values | texts}).map(json.dumps))
    text = st.lists(lines, max_size=4).map("\n".join)
    return st.one_of(text.map(lambda s: s.encode("utf-8")), st.binary(max_size=60))


def _check_file_reader(read, suffix, data, **kwargs):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"labels{suffix}"
        path.write_bytes(data)
        try:
            read(path, **kwargs)
        except ValueError as exc:
            assert _one_line(exc) and str(path) in str(exc), repr(exc)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([".json", ".jsonl"]), _file_contents(), modes, st.booleans())
@example(".jsonl", b"1", OFFICIAL, False)
@example(".jsonl", b'[1, "a"]', OFFICIAL, False)
@example(".json", b"\xff", OFFICIAL, False)
@example(".json", b"1" * 5000, OFFICIAL, False)
@example(".jsonl", b"1" * 5000, OFFICIAL, False)
@example(".json", b"[" * 100000, OFFICIAL, False)
def test_read_grouping_gives_groups_or_a_one_line_value_error(suffix, data, mode, collect):
    _check_file_reader(read_grouping, suffix, data, parse=mode, problems=[] if collect else None)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([".csv", ".json", ".jsonl"]), _file_contents(), modes)
@example(".csv", b"name,openset\n\xff", OFFICIAL)
@example(".jsonl", b"[" * 100000, OFFICIAL)
@example(".json", b"1" * 5000, OFFICIAL)
@example(".jsonl", b"1" * 5000, OFFICIAL)
def test_read_label_file_gives_labels_or_a_one_line_value_error(suffix, data, mode):
    _check_file_reader(read_label_file, suffix, data, parse=mode)
