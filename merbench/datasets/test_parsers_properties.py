"""Property tests of the label parsers and table readers: random cells and files give values, recorded
problems, or a one-line ValueError naming the file, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import example, given, settings, strategies as st

from merbench.datasets.labels import normalise_emotion, parse_label_list, parse_valence
from merbench.datasets.manifest import COLUMNS, ManifestDataset
from merbench.datasets.mer2024 import Mer2024Dataset
from merbench.datasets.processed import read_label_csv

SYNTAX = "[]{}(),'\"，;:\n\r\t -.1e5ab\x00"
texts = st.one_of(st.text(max_size=40), st.text(alphabet=SYNTAX, max_size=40))
cells = st.one_of(texts, st.none(), st.integers(), st.floats(), st.lists(st.text(max_size=5), max_size=3))


def _one_line(exc: BaseException) -> bool:
    return bool(str(exc)) and "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(cells)
def test_normalise_emotion_gives_a_class_or_a_value_error(label):
    try:
        normalise_emotion(label)
    except ValueError as exc:
        assert _one_line(exc) or "\n" in str(label)


@settings(max_examples=200, deadline=None)
@given(cells)
@example([1.0])
@example("1" * 5000)
def test_parse_valence_gives_a_value_or_a_value_error(value):
    try:
        v = parse_valence(value)
    except ValueError as exc:
        assert "valence" in str(exc) and "\n" not in str(exc), repr(exc)
    else:
        assert v is None or -5 <= v <= 5


@settings(max_examples=200, deadline=None)
@given(texts | st.none())
@example("[{[]: 1}]")
@example("[" + "-" * 100000 + "1]")
@example("[1 if 1 else 2]")
def test_parse_label_list_gives_a_tuple_of_strings(text):
    labels = parse_label_list(text)
    assert isinstance(labels, tuple) and all(isinstance(x, str) and x for x in labels)


def _csv_bytes(header: str):
    row = st.lists(texts.filter(lambda s: "\n" not in s and "\r" not in s), max_size=5).map(",".join)
    text = st.lists(row, max_size=4).map(lambda rows: "\n".join([header, *rows]))
    return st.one_of(text.map(str.encode), st.binary(max_size=60), st.text(max_size=60).map(str.encode))


@settings(max_examples=100, deadline=None)
@given(_csv_bytes("name,discrete,valence"))
@example(b"name,discrete,valence\na,happy,1,extra,cells")
@example(b"name,discrete,valence\n\xff")
@example(b"name,discrete,valence\na,happy," + b"1" * 5000)
@example(b"name,discrete\n\x00a,happy")
def test_mer2024_label_file_gives_samples_and_problems(data):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "label-disdim.csv").write_bytes(data)
        dataset = Mer2024Dataset(tmp)  # a bad row or file is a recorded problem, never an exception
        assert all(p.path and p.message for p in dataset._problems)


def _manifest_bytes():
    rows = st.dictionaries(st.sampled_from([*COLUMNS, "other"]), cells, max_size=5)
    jsonl = st.lists(st.one_of(rows.map(json.dumps), cells.map(json.dumps), texts), max_size=4).map("\n".join)
    return st.one_of(jsonl.map(str.encode), st.binary(max_size=60))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([".csv", ".jsonl"]), _manifest_bytes() | _csv_bytes(",".join(COLUMNS)))
@example(".jsonl", b"1")
@example(".jsonl", b'{"name": "a", "label": "happy", "valence": [1]}')
@example(".jsonl", b'{"name": "a", "ov_labels": {"x": 1}}')
@example(".jsonl", b'{"name": ["a"]}')
@example(".jsonl", b"\xff")
@example(".jsonl", b"[" * 100000)
@example(".csv", b"name,label\na,happy,extra")
@example(".csv", b"name\n\xff")
@example(".csv", b"name,video\na,\x00")
def test_manifest_gives_samples_and_problems_or_a_one_line_value_error(suffix, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"manifest{suffix}"
        path.write_bytes(data)
        try:
            dataset = ManifestDataset(path)
        except ValueError as exc:
            assert _one_line(exc) and str(path) in str(exc), repr(exc)
        else:
            assert all(p.path and p.message for p in dataset._problems)


@settings(max_examples=100, deadline=None)
@given(_csv_bytes("corpus,name,emo,val"))
@example(b"corpus,name,emo,val\ntrain_corpus,a,happy")
@example(b"corpus,name,emo,val\ntrain_corpus,a,happy,x")
@example(b"corpus,name,emo,val\n\xff")
def test_read_label_csv_gives_corpora_or_a_one_line_value_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "label-6way.csv"
        path.write_bytes(data)
        try:
            read_label_csv(path)
        except ValueError as exc:
            assert _one_line(exc) and str(path) in str(exc), repr(exc)
