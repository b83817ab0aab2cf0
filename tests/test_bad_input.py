"""Bad input, end to end: each case builds one bad input, runs the command a user would run, and checks
the exit status, a one-line message naming the file or sample and the fix, and that no traceback shows.

Cases are rows of ``CASES``: ``(id, build, expect)``. ``build(ctx)`` writes the bad input under
``ctx.tmp`` and returns the CLI arguments; ``expect`` is the exit status (or ``"nonzero"``) and the
substrings one output line must hold together (its file or sample, and what to do).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from click.testing import CliRunner

from merbench.cli.main import cli

RUN_BUDGET = ["--trials", "1", "--epochs", "1", "--seeds", "1", "--no-progress"]


@dataclass
class Ctx:
    tmp: Path
    demo: Path
    dataset: object
    env: dict = field(default_factory=dict)

    @property
    def processed(self) -> Path:
        return self.demo / "processed"

    def names(self, split: str = "trainval") -> list[str]:
        return self.dataset.splits()[split]

    def copy_processed(self, drop: tuple[str, ...] = ()) -> Path:
        """A hard-linked copy of the demo's processed layout (cheap; replace a file by unlinking it first)."""
        root = self.tmp / "processed"
        shutil.copytree(self.processed, root, copy_function=os.link,
                        ignore=lambda _d, names: [n for n in names if n in drop])
        return root

    def replace(self, path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
        path.unlink(missing_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path


@dataclass
class Case:
    id: str
    build: Callable[[Ctx], list[str]]
    code: int | str  # exit status, or "nonzero"
    words: tuple[str, ...]  # substrings one line of the output holds together
    env: dict = field(default_factory=dict)
    after: Callable[[Ctx], None] | None = None  # what must still be there
    xfail: str | None = None


# -- builders ---------------------------------------------------------------------------------------------

def _first_video(ctx: Ctx, root: Path) -> Path:
    return root / "video" / f"{ctx.names()[0]}.mp4"


def truncated_mp4(ctx):
    root = ctx.copy_processed()
    video = _first_video(ctx, root)
    data = video.read_bytes()
    ctx.replace(video, data[: len(data) // 2])
    return ["data", "check", str(root), "--deep"]


def truncated_mp4_header(ctx):
    root = ctx.copy_processed()
    video = _first_video(ctx, root)
    ctx.replace(video, video.read_bytes()[:64])
    return ["data", "check", str(root)]


def zero_byte_video(ctx):
    root = ctx.copy_processed()
    ctx.replace(_first_video(ctx, root), b"")
    return ["data", "check", str(root)]


def text_as_video(ctx):
    root = ctx.copy_processed()
    ctx.replace(_first_video(ctx, root), "this is not a video\n")
    return ["data", "check", str(root)]


def missing_video(ctx):
    root = ctx.copy_processed()
    _first_video(ctx, root).unlink()
    return ["data", "check", str(root)]


def mp4_without_audio(ctx):
    root = ctx.copy_processed(drop=("audio",))
    video = _first_video(ctx, root)
    silent = ctx.tmp / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-an", "-c:v", "copy", str(silent)], check=True)
    video.unlink()
    shutil.move(silent, video)
    return ["data", "check", str(root)]


def wav_wrong_rate(ctx):
    import soundfile

    root = ctx.copy_processed()
    wav = root / "audio" / f"{ctx.names()[0]}.wav"
    wav.unlink()
    soundfile.write(wav, np.zeros(4410, np.float32), 44100)
    return ["data", "check", str(root)]


def wav_garbage(ctx):
    root = ctx.copy_processed()
    ctx.replace(root / "audio" / f"{ctx.names()[0]}.wav", b"RIFF\x00\x00")
    return ["data", "check", str(root)]


def wav_half_truncated(ctx):
    root = ctx.copy_processed()
    wav = root / "audio" / f"{ctx.names()[0]}.wav"
    data = wav.read_bytes()
    ctx.replace(wav, data[: len(data) // 2])  # a copy that stopped half way: the header still declares it all
    return ["data", "check", str(root)]


def faces_garbage(ctx):
    root = ctx.copy_processed()
    name = ctx.names()[0]
    ctx.replace(root / "openface_face" / name / f"{name}.npy", b"not numpy")
    return ["data", "check", str(root)]


def _labels(ctx, root: Path, text: str | bytes, encoding="utf-8") -> Path:
    (root / "label-6way.npz").unlink(missing_ok=True)
    return ctx.replace(root / "label-6way.csv", text, encoding)


def _label_text(ctx) -> str:
    return (ctx.processed / "label-6way.csv").read_text(encoding="utf-8")


def label_unknown_emotion(ctx):
    root = ctx.copy_processed()
    lines = _label_text(ctx).splitlines()
    corpus, name, _emo, val = lines[1].split(",")
    lines[1] = ",".join([corpus, name, "bored", val])
    _labels(ctx, root, "\n".join(lines) + "\n")
    return ["data", "check", str(root)]


def label_missing_column(ctx):
    root = ctx.copy_processed()
    lines = [",".join(line.split(",")[:2] + line.split(",")[3:]) for line in _label_text(ctx).splitlines()]
    _labels(ctx, root, "\n".join(lines) + "\n")
    return ["data", "check", str(root)]


def label_non_utf8(ctx):
    root = ctx.copy_processed()
    _labels(ctx, root, _label_text(ctx).encode("utf-8") + b"train_corpus,\xff\xfe\xfa,happy,1.0\n")
    return ["data", "check", str(root)]


def label_duplicate_name(ctx):
    root = ctx.copy_processed()
    lines = _label_text(ctx).splitlines()
    _labels(ctx, root, "\n".join(lines + [lines[1].replace("worried", "happy")]) + "\n")
    return ["data", "check", str(root)]


def label_header_only(ctx):
    root = ctx.copy_processed()
    _labels(ctx, root, "corpus,name,emo,val\n")
    return ["data", "check", str(root)]


def label_bad_valence(ctx):
    root = ctx.copy_processed()
    lines = _label_text(ctx).splitlines()
    corpus, name, emo, _val = lines[1].split(",")
    lines[1] = ",".join([corpus, name, emo, "very"])
    _labels(ctx, root, "\n".join(lines) + "\n")
    return ["data", "check", str(root)]


def label_pickled_npz(ctx):
    root = ctx.copy_processed()
    (root / "label-6way.csv").unlink()
    (root / "label-6way.npz").unlink(missing_ok=True)
    np.savez(root / "label-6way.npz", train_corpus={n: {"emo": "happy", "val": 1.0} for n in ctx.names()})
    return ["data", "check", str(root)]


def label_name_traversal(ctx):
    root = ctx.copy_processed()
    _labels(ctx, root, _label_text(ctx) + "train_corpus,../../etc/passwd,happy,1.0\n")
    return ["data", "check", str(root)]


def subtitle_gbk(ctx):
    root = ctx.copy_processed()
    text = (ctx.processed / "transcription-merge.csv").read_text(encoding="utf-8")
    ctx.replace(root / "transcription-merge.csv", text, "gbk")
    return ["data", "check", str(root)]


def subtitle_missing_column(ctx):
    root = ctx.copy_processed()
    ctx.replace(root / "transcription-merge.csv", f"name,text\n{ctx.names()[0]},hello\n")
    return ["data", "check", str(root)]


def no_such_folder(ctx):
    return ["data", "check", str(ctx.tmp / "nothing")]


def unknown_layout(ctx):
    (ctx.tmp / "empty").mkdir()
    (ctx.tmp / "empty" / "readme.txt").write_text("hi")
    return ["data", "check", str(ctx.tmp / "empty")]


def unknown_reader(ctx):
    return ["data", "check", str(ctx.demo), "--reader", "mer-procesed"]


# features and cache

def _extract(ctx, encoder="egemaps", extra=()):
    args = ["extract", "--dataset", str(ctx.demo), "--encoder", encoder, "--split", "trainval", "--no-progress", *extra]
    result = CliRunner().invoke(cli, args, env=ctx.env)
    assert result.exit_code == 0, result.output
    return sorted((ctx.tmp / "cache").rglob("*.h5"))


def cache_truncated_h5(ctx):
    files = _extract(ctx)
    assert files
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    ctx.env["_bad"] = str(files[0])
    return ["cache", "verify"]


def cache_garbage_h5(ctx):
    files = _extract(ctx)
    files[0].write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    return ["cache", "verify"]


def cache_half_written(ctx):
    files = _extract(ctx)
    import h5py

    with h5py.File(files[0], "a") as fh:  # a batch that never finished: drop the last dataset written
        keys = list(fh.keys())
        for key in keys:
            if key not in ("failed",):
                del fh[key]
                break
    return ["cache", "verify"]


def cache_verify_unknown(ctx):
    return ["cache", "verify", "egemap"]


def cache_rm_unknown(ctx):
    return ["cache", "rm", "nosuch-encoder", "--yes"]


def cache_import_bad_npy(ctx):
    folder = ctx.tmp / "features" / "mine-UTT"
    folder.mkdir(parents=True)
    for name in ctx.names():
        np.save(folder / f"{name}.npy", np.zeros(8, np.float32))
    (folder / f"{ctx.names()[1]}.npy").write_bytes(b"garbage")
    return ["cache", "import", str(folder), "--dataset", str(ctx.demo)]


def cache_import_mixed_dims(ctx):
    folder = ctx.tmp / "features" / "mine-UTT"
    folder.mkdir(parents=True)
    for i, name in enumerate(ctx.names()):
        np.save(folder / f"{name}.npy", np.zeros(8 if i else 5, np.float32))
    return ["cache", "import", str(folder), "--dataset", str(ctx.demo)]


def cache_import_unknown_names(ctx):
    folder = ctx.tmp / "features" / "mine-UTT"
    folder.mkdir(parents=True)
    for name in ("ghost1", "ghost2"):
        np.save(folder / f"{name}.npy", np.zeros(8, np.float32))
    return ["cache", "import", str(folder), "--dataset", str(ctx.demo)]


def cache_import_pickled_npy(ctx):
    folder = ctx.tmp / "features" / "mine-UTT"
    folder.mkdir(parents=True)
    for name in ctx.names():
        np.save(folder / f"{name}.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    return ["cache", "import", str(folder), "--dataset", str(ctx.demo)]


def cache_is_a_file(ctx):
    (ctx.tmp / "cachefile").write_text("")
    ctx.env["MERBENCH_CACHE"] = str(ctx.tmp / "cachefile")
    return ["extract", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--split", "trainval", "--no-progress"]


def extract_unknown_encoder(ctx):
    return ["extract", "--dataset", str(ctx.demo), "--encoder", "egemap", "--no-progress"]


def extract_bad_param(ctx):
    return ["extract", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--param", "oops"]


def extract_truncated_clip(ctx):
    root = ctx.copy_processed()
    name = ctx.names()[0]
    for sub, ext in (("video", "mp4"), ("audio", "wav")):
        path = root / sub / f"{name}.{ext}"
        ctx.replace(path, path.read_bytes()[:100])
    return ["extract", "--dataset", str(root), "--encoder", "egemaps", "--split", "trainval", "--max-failed", "0",
            "--no-progress"]


# config

def _run(ctx, *extra):
    return ["run", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--track", "trainval", *RUN_BUDGET,
            "--out", str(ctx.tmp / "out"), *extra]


def config_invalid_yaml(ctx):
    path = ctx.tmp / "run.yaml"
    path.write_text("trials: 1\nepochs: [1, 2\nseeds: 1\n")
    return ["run", "--config", str(path)]


def config_unknown_field(ctx):
    path = ctx.tmp / "run.yaml"
    path.write_text("trials: 1\nepoch: 1\n")
    return ["run", "--config", str(path)]


def config_wrong_type(ctx):
    path = ctx.tmp / "run.yaml"
    path.write_text("trials: many\n")
    return ["run", "--config", str(path)]


def config_not_a_mapping(ctx):
    path = ctx.tmp / "run.yaml"
    path.write_text("- trials\n- 1\n")
    return ["run", "--config", str(path)]


def config_non_utf8(ctx):
    path = ctx.tmp / "run.yaml"
    path.write_bytes("trials: 1\n# 注释\n".encode("gbk"))
    return ["run", "--config", str(path)]


def run_unknown_encoder(ctx):
    return ["run", "--dataset", str(ctx.demo), "--encoder", "egemap", "--track", "trainval", *RUN_BUDGET]


def run_unknown_fusion(ctx):
    return _run(ctx, "--fusion", "atention")


def run_unknown_track(ctx):
    return ["run", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--track", "trainvl", *RUN_BUDGET]


def run_unknown_protocol(ctx):
    return _run(ctx, "--protocol", "mer2042")


def run_out_is_a_file(ctx):
    (ctx.tmp / "out").write_text("not a folder")
    return _run(ctx)


def run_zero_seeds(ctx):
    return ["run", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--track", "trainval", "--trials", "1",
            "--epochs", "1", "--seeds", "0"]


def run_bad_encoder_param(ctx):
    return _run(ctx, "--encoder-param", "egemaps=oops")


def run_no_such_dataset(ctx):
    return ["run", "--dataset", str(ctx.tmp / "nowhere"), *RUN_BUDGET]


# OV files

def _truth(ctx) -> Path:
    path = ctx.tmp / "truth.csv"
    path.write_text("name,openset\ns1,\"['happy', 'sad']\"\ns2,\"['angry']\"\n")
    return path


def _grouping(ctx) -> Path:
    path = ctx.tmp / "groups.json"
    path.write_text(json.dumps({"s1": [["happy"], ["sad"]], "s2": [["angry"]]}))
    return path


def ov_cell_not_a_list(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("name,openset\ns1,\"{'happy': 1}\"\ns2,\"['angry']\"\n")
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx)), "--grouping", str(_grouping(ctx)), "--parse", "literal"]


def ov_missing_column(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("name,emotions\ns1,\"['happy']\"\n")
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx)), "--grouping", str(_grouping(ctx))]


def ov_empty_file(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("")
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx))]


def ov_non_utf8(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_bytes("name,openset\ns1,\"['开心']\"\n".encode("gbk"))
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx))]


def ov_broken_grouping_jsonl(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("name,openset\ns1,\"['happy']\"\n")
    grouping = ctx.tmp / "groups.jsonl"
    grouping.write_text('{"name": "s1", "groups": [["happy"]]}\n{"name": "s2", "groups": [["angry"\n')
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx)), "--grouping", str(grouping)]


def ov_empty_grouping(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("name,openset\ns1,\"['happy']\"\n")
    grouping = ctx.tmp / "groups.json"
    grouping.write_text("")
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx)), "--grouping", str(grouping)]


def ov_broken_descriptions(ctx):
    desc = ctx.tmp / "d.jsonl"
    desc.write_text('{"name": "s1", "description": "happy"}\nnot json\n')
    return ["ov", "extract", str(desc), "--extractor", "none", "--out", str(ctx.tmp / "p.csv")]


def ov_score_unknown_grouper(ctx):
    pred = ctx.tmp / "pred.csv"
    pred.write_text("name,openset\ns1,\"['happy']\"\n")
    return ["ov", "score", str(pred), "--truth", str(_truth(ctx)), "--grouper", "wordnett"]


# plugins

def plugins_allow_unknown_strict(ctx):
    ctx.env.update(MERBENCH_PLUGINS="nosuch", MERBENCH_STRICT_PLUGINS="1")
    return ["plugins", "doctor"]


def plugins_allow_unknown(ctx):
    ctx.env.update(MERBENCH_PLUGINS="nosuch")
    return ["plugins", "doctor"]


# security

def checkpoint_with_auto_map(ctx):
    folder = ctx.tmp / "remote-model"
    folder.mkdir()
    marker = ctx.tmp / "REMOTE-CODE-RAN"
    (folder / "evil_model.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    auto = {"AutoConfig": "evil_model.EvilConfig", "AutoModel": "evil_model.EvilModel",
            "AutoTokenizer": ["evil_model.EvilTokenizer", None]}
    (folder / "config.json").write_text(json.dumps({"model_type": "merbench-evil", "auto_map": auto}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["evil_model.EvilTokenizer", None]}}))
    return ["extract", "--dataset", str(ctx.demo), "--encoder", "bloom-7b1", "--param", f"checkpoint={folder}",
            "--device", "cpu", "--split", "trainval", "--no-progress"]


def _no_remote_code(ctx):
    assert not (ctx.tmp / "REMOTE-CODE-RAN").exists()


# disk and interruption

def run_interrupted(ctx):
    from merbench.runner import run as run_module

    original = run_module.RowTrainer.train
    calls = []

    def interrupt_second(self, row):
        calls.append(row.key)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, row)

    ctx.env["_patch"] = (run_module.RowTrainer, "train", interrupt_second)
    return ["run", "--dataset", str(ctx.demo), "--encoder", "egemaps", "--encoder", "fer-mini-xception",
            "--track", "trainval", *RUN_BUDGET, "--out", str(ctx.tmp / "out")]


def _first_row_kept(ctx):
    assert (ctx.tmp / "out" / "trainval-attention-egemaps.json").exists()


CASES = [
    # media
    Case("media/truncated-mp4", truncated_mp4, 1, ("error:", "mp4", "corrupt or truncated")),
    Case("media/truncated-mp4-header", truncated_mp4_header, 1, ("error:", ".mp4", "corrupt or truncated")),
    Case("media/zero-byte-video", zero_byte_video, 1, ("error:", ".mp4", "empty")),
    Case("media/text-as-video", text_as_video, 1, ("error:", ".mp4", "corrupt")),
    Case("media/missing-video", missing_video, 1, ("error:", ".mp4", "file not found")),
    Case("media/mp4-without-audio", mp4_without_audio, 1, (".mp4", "no audio")),
    Case("media/wav-wrong-rate", wav_wrong_rate, 0, ("warning:", ".wav", "44100 Hz", "ffmpeg")),  # documented: resampled
    Case("media/wav-garbage", wav_garbage, 1, ("error:", ".wav")),
    Case("media/wav-half-truncated", wav_half_truncated, 1, ("error:", ".wav", "truncated: its header declares",
                                                              "copy or download it again")),
    Case("media/faces-garbage", faces_garbage, 1, ("error:", ".npy")),
    Case("media/extract-truncated-clip", extract_truncated_clip, "nonzero", ("Error:", "sample_00000001", "fix the media")),
    # labels and subtitles
    Case("labels/unknown-emotion", label_unknown_emotion, 1, ("label-6way.csv", "unknown emotion 'bored'")),
    Case("labels/missing-column", label_missing_column, 1, ("label-6way.csv", "emo")),
    Case("labels/non-utf8", label_non_utf8, 1, ("label-6way.csv", "UTF-8")),
    Case("labels/duplicate-name", label_duplicate_name, 1, ("label-6way.csv", "duplicate")),
    Case("labels/header-only", label_header_only, 1, ("label-6way.csv", "no train_corpus", "add the labelled")),
    Case("labels/bad-valence", label_bad_valence, 1, ("label-6way.csv", "'very'")),
    Case("labels/pickled-npz", label_pickled_npz, 1, ("label-6way.npz", "--allow-pickle")),
    Case("labels/name-traversal", label_name_traversal, 1, ("label-6way.csv", "../../etc/passwd", "not a plain file name")),
    Case("subtitles/gbk", subtitle_gbk, 1, ("transcription-merge.csv", "UTF-8")),
    Case("subtitles/missing-column", subtitle_missing_column, 1, ("transcription-merge.csv", "none of the columns")),
    Case("data/no-such-folder", no_such_folder, 1, ("nothing", "no such dataset folder")),
    Case("data/unknown-layout", unknown_layout, 1, ("empty", "cannot tell the dataset layout")),
    Case("data/unknown-reader", unknown_reader, 1, ("mer-procesed", "Did you mean")),
    # features and cache
    Case("cache/truncated-h5", cache_truncated_h5, "nonzero", (".h5", "truncated", "delete it and re-extract")),
    Case("cache/garbage-h5", cache_garbage_h5, "nonzero", (".h5", "delete it and re-extract")),
    Case("cache/half-written", cache_half_written, "nonzero", (".h5",)),
    Case("cache/verify-unknown", cache_verify_unknown, "nonzero", ("egemap",)),
    Case("cache/rm-unknown", cache_rm_unknown, "nonzero", ("nosuch-encoder",)),
    Case("cache/import-bad-npy", cache_import_bad_npy, "nonzero", (".npy", "re-save it with numpy.save")),
    Case("cache/import-mixed-dims", cache_import_mixed_dims, "nonzero", (".npy", "the folder mixes features")),
    Case("cache/import-unknown-names", cache_import_unknown_names, "nonzero", ("ghost1.npy", "point --dataset")),
    Case("cache/import-pickled-npy", cache_import_pickled_npy, "nonzero", (".npy", "pickled objects")),
    Case("cache/cache-is-a-file", cache_is_a_file, "nonzero", ("Error:", "cachefile", "Not a directory")),
    Case("extract/unknown-encoder", extract_unknown_encoder, "nonzero", ("egemap", "Did you mean 'egemaps'")),
    Case("extract/bad-param", extract_bad_param, "nonzero", ("oops", "expected key=value")),
    # config
    Case("config/invalid-yaml", config_invalid_yaml, "nonzero", ("run.yaml", "line")),
    Case("config/unknown-field", config_unknown_field, "nonzero", ("run.yaml", "'epoch' was unexpected", "did you mean 'epochs'")),
    Case("config/wrong-type", config_wrong_type, "nonzero", ("trials", "many")),
    Case("config/not-a-mapping", config_not_a_mapping, "nonzero", ("run.yaml", "mapping")),
    Case("config/non-utf8", config_non_utf8, "nonzero", ("run.yaml", "UTF-8")),
    Case("run/unknown-encoder", run_unknown_encoder, "nonzero", ("egemap", "Did you mean 'egemaps'")),
    Case("run/unknown-fusion", run_unknown_fusion, "nonzero", ("atention", "Did you mean 'attention'")),
    Case("run/unknown-track", run_unknown_track, "nonzero", ("trainvl", "Did you mean 'trainval'")),
    Case("run/unknown-protocol", run_unknown_protocol, "nonzero", ("mer2042", "Did you mean")),
    Case("run/out-is-a-file", run_out_is_a_file, "nonzero", ("out", "file")),
    Case("run/zero-seeds", run_zero_seeds, "nonzero", ("seeds",)),
    Case("run/bad-encoder-param", run_bad_encoder_param, "nonzero", ("egemaps=oops", "NAME:key=value")),
    Case("run/no-such-dataset", run_no_such_dataset, "nonzero", ("nowhere",)),
    # OV files
    Case("ov/cell-not-a-list", ov_cell_not_a_list, 0, ("warning:", "pred.csv:2", "s1", "not a list of strings")),  # documented: not scored
    Case("ov/missing-column", ov_missing_column, "nonzero", ("pred.csv", "expected columns 'name,openset'")),
    Case("ov/empty-file", ov_empty_file, "nonzero", ("pred.csv", "empty")),
    Case("ov/non-utf8", ov_non_utf8, "nonzero", ("pred.csv", "UTF-8")),
    Case("ov/broken-grouping-jsonl", ov_broken_grouping_jsonl, "nonzero", ("groups.jsonl:2", "not JSON")),
    Case("ov/empty-grouping", ov_empty_grouping, "nonzero", ("groups.json", "empty")),
    Case("ov/broken-descriptions", ov_broken_descriptions, "nonzero", ("d.jsonl:2", "expected a JSON object")),
    Case("ov/unknown-grouper", ov_score_unknown_grouper, "nonzero", ("wordnett", "Known groupers")),
    # plugins
    Case("plugins/allow-unknown-strict", plugins_allow_unknown_strict, "nonzero", ("nosuch", "MERBENCH_PLUGINS")),
    Case("plugins/allow-unknown", plugins_allow_unknown, 0, ("failed:", "nosuch", "MERBENCH_PLUGINS names")),  # others still load
    # security
    Case("security/checkpoint-auto-map", checkpoint_with_auto_map, "nonzero", ("Error:", "remote-model", "--param trust_remote_code=true"),
         after=_no_remote_code),
    # disk and interruption
    Case("interrupt/run-keeps-finished-rows", run_interrupted, "nonzero", ("Interrupted:", "out", "re-run the same command"),
         after=_first_row_kept),
]


@pytest.mark.filterwarnings("ignore:merbench plugin 'nosuch':RuntimeWarning")
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
                                  for c in CASES])
def test_bad_input(case: Case, tiny_demo, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    ctx = Ctx(tmp_path, tiny_demo, tiny_dataset, env={"MERBENCH_CACHE": str(tmp_path / "cache")})
    args = case.build(ctx)
    patch = ctx.env.pop("_patch", None)
    ctx.env.pop("_bad", None)
    if patch:
        monkeypatch.setattr(*patch)
    if any(k.startswith("MERBENCH_PLUGIN") or k == "MERBENCH_STRICT_PLUGINS" for k in ctx.env):
        from merbench import plugins

        monkeypatch.setattr(plugins, "_manager", None)
        for key, value in ctx.env.items():
            monkeypatch.setenv(key, value)
    try:
        result = CliRunner().invoke(cli, args, env=ctx.env, terminal_width=400)
    finally:
        if any(k.startswith("MERBENCH_PLUGIN") for k in ctx.env):
            from merbench import plugins

            plugins.reset()
    output = result.output
    detail = f"{case.id}: exit {result.exit_code}\n{output}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), detail
    assert "Traceback" not in output, detail
    if case.code == "nonzero":
        assert result.exit_code != 0, detail
    else:
        assert result.exit_code == case.code, detail
    lines = [line for line in output.splitlines() if all(w in line for w in case.words)]
    assert lines, detail
    if os.environ.get("MERBENCH_BAD_INPUT_TABLE"):  # the case -> message table of the issue
        with open(os.environ["MERBENCH_BAD_INPUT_TABLE"], "a", encoding="utf-8") as fh:
            fh.write(f"{case.id}\t{result.exit_code}\t{lines[0].strip()}\n")
    if case.after:
        case.after(ctx)


def test_there_are_at_least_40_cases():
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)
