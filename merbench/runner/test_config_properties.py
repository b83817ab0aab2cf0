"""Property tests of the YAML-declared configs: random files and overrides give a value or the
module's one-line error (``ConfigError``, ``TrackError``, ``ProtocolError``), never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import example, given, settings, strategies as st

from merbench.contracts.protocol import ProtocolError, load_protocol
from merbench.contracts.track import TrackError, load_track
from merbench.runner.config import SCHEMA_PATH, ConfigError, build_config, user_layers

RUN_FIELDS = sorted(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["properties"])
TRACK = yaml.safe_load((Path(__file__).parents[1] / "tracks" / "mer2023-trainval.yaml").read_text(encoding="utf-8"))
PROTOCOL = yaml.safe_load((Path(__file__).parents[1] / "protocols" / "mer2024.yaml").read_text(encoding="utf-8"))
SYNTAX = "[]{}:,-&*!|>'\"#%@` \t\nab1."

scalars = st.none() | st.booleans() | st.integers(-3, 200) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=6)


def _mutated(base: dict, keys: list[str]):
    """``base`` with a few fields replaced by random values, removed, or added."""
    return st.tuples(st.dictionaries(st.sampled_from(keys + ["extra"]), values, max_size=3),
                     st.sets(st.sampled_from(sorted(base)), max_size=2)).map(
        lambda t: {**{k: v for k, v in base.items() if k not in t[1]}, **t[0]})


def _documents(base: dict, keys: list[str]):
    """Random YAML file contents: a mutated valid document, random YAML values, random text or bytes."""
    dumped = st.one_of(_mutated(base, keys), values).map(lambda d: yaml.safe_dump(d, allow_unicode=True))
    return st.one_of(dumped, st.text(max_size=60), st.text(alphabet=SYNTAX, max_size=60)).map(
        lambda s: s.encode("utf-8")) | st.binary(max_size=40)


def _load(loader, error, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "file.yaml"
        path.write_bytes(data)
        try:
            return loader(path)
        except error as exc:
            assert type(exc) is error and str(exc) and "\n" not in str(exc), repr(exc)
            assert str(path) in str(exc), repr(exc)


DEEP = [b"[" * 3000, b"a: " + b"{b: " * 2000, b"1" * 5000, b"x: 0x" + b"1" * 5000, b"\xff\xfe", b"\x08"]


@settings(max_examples=150, deadline=None)
@given(_documents({"epochs": 3, "seeds": [0]}, RUN_FIELDS))
@example(DEEP[0])
@example(DEEP[1])
@example(DEEP[2])
@example(DEEP[3])
@example(DEEP[4])
@example(DEEP[5])
def test_user_layers_of_a_random_file_gives_layers_or_a_config_error(data):
    _load(lambda path: user_layers(None, path), ConfigError, data)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(RUN_FIELDS), values, max_size=3))
@example({"protocol": "no-such-protocol"})
@example({"protocol": "mer2023", "tracks": ["no-such-track"]})
@example({"protocol": "mer2023", "fusion": "no-such-fusion"})
def test_build_config_of_random_overrides_gives_a_config_or_a_config_error(overrides):
    try:
        config = build_config(overrides)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc), repr(exc)
    else:
        assert isinstance(config, dict) and config["protocol"]


@settings(max_examples=150, deadline=None)
@given(_documents(TRACK, sorted(json.loads((Path(__file__).parents[1] / "contracts" / "track.schema.json").read_text())["properties"])))
@example(DEEP[0])
@example(DEEP[1])
@example(DEEP[2])
@example(DEEP[4])
@example(DEEP[5])
def test_load_track_gives_a_track_or_a_track_error(data):
    _load(load_track, TrackError, data)


@settings(max_examples=150, deadline=None)
@given(_documents(PROTOCOL, ["name", "title", "version", "tracks", "settings"]))
@example(DEEP[0])
@example(DEEP[1])
@example(DEEP[2])
@example(DEEP[4])
@example(b"[]")
@example(b"")
def test_load_protocol_gives_a_protocol_or_a_protocol_error(data):
    _load(load_protocol, ProtocolError, data)
