"""The report from hand-made records: the papers' cells rebuilt from records, every page and picture linked,
bad result sets refused in one line naming the file."""

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.report.build import build_report
from merbench.report.sets import ReportError, load_set
from merbench.report.tables import other_rows, score_tables
from merbench.results.record import build_record, write_record
from merbench.util.stats import mean_std

# the tracks as records of merbench run keep them (config.track: the whole definition)
TRAINVAL = {"name": "trainval", "title": "Train&Val", "heading": "Train&Val", "version": 1, "metrics": ["waf", "acc"],
            "main_metric": "waf", "columns": ["waf", "acc"], "strategies": ["supervised"], "table": "mer2024",
            "train_split": "trainval", "test_split": None}
SEMI = {"name": "semi", "title": "MER-SEMI", "heading": "SEMI", "version": 1, "metrics": ["waf"], "main_metric": "waf",
        "table": "mer2024", "strategies": ["supervised", "pseudo-label"], "train_split": "trainval",
        "test_split": "semi"}
CONFIG = {"fusion": "attention", "dataset": "demo", "tracks": ["trainval", "semi"],
          "encoders": {"audio": ["egemaps"], "text": ["minilm"]}, "combinations": [["audio", "text"]]}
PROTOCOL = {"name": "mer2024", "version": 1,
            "departures": [{"field": "epochs", "protocol": 100, "run": 3, "source": "command line"}]}


def _write(out, track, strategy, row, kind, waf, folds=None):
    label = track["name"] if strategy == track["strategies"][0] else f"{track['name']}+{strategy}"
    per_seed = [{"seed": s, "scores": {"waf": w, "acc": w + 0.1}, **({"folds": folds} if folds else {})}
                for s, w in enumerate(waf)]
    record = build_record(
        track=track["name"], name=f"{label}-attention-{row}", dataset={"name": "demo", "manifest_hash": "ab" * 32},
        split="trainval", components=[{"kind": "encoder", "name": "egemaps", "version": "1", "cache_key": "cd" * 32,
                                       "fingerprint": {"feature_set": "eGeMAPSv02"}}],
        config={**CONFIG, "track": track}, seeds=list(range(len(waf))), per_seed=per_seed, main_metric="waf",
        higher_is_better={"waf": True, "acc": True}, samples={"scored": 4}, protocol=PROTOCOL,
        identity={"hash": "ef" * 32, "parts": {}},
        extra={"row": row, "kind": kind, "strategy": strategy, "modalities": ["audio", "text"]})
    predictions = [{"name": f"s{i}", "seed": s, "split": "trainval", "label": lab, "pred": pred,
                    "weights": {"audio": 0.6, "text": 0.4}}
                   for s in range(len(waf)) for i, (lab, pred) in enumerate([("happy", "happy"), ("sad", "happy"),
                                                                             ("angry", "angry"), ("sad", "sad")])]
    return write_record(record, out, predictions=predictions)


@pytest.fixture
def result_set(tmp_path):
    out = tmp_path / "run1"
    folds = [{"fold": 1, "curve": {"waf": [0.2, 0.4]}}, {"fold": 2, "curve": {"waf": [0.3, 0.5]}}]
    _write(out, TRAINVAL, "supervised", "egemaps", "feature", [0.40, 0.44], folds)
    _write(out, TRAINVAL, "supervised", "A+T", "combination", [0.50, 0.56], folds)
    _write(out, SEMI, "supervised", "A+T", "combination", [0.30, 0.34])
    _write(out, SEMI, "pseudo-label", "A+T", "combination", [0.32, 0.38])
    ov = build_record(track="ov", name="ov-smollm-openset", dataset={"name": "demo", "manifest_hash": "ab" * 32},
                      components=[], config={"model": "smollm"}, seeds=[0],
                      per_seed=[{"seed": 0, "scores": {"ov-avg": 0.25}}], main_metric="ov-avg")
    write_record(ov, out / "ov", predictions=[{"name": "s0", "seed": 0, "openset": ["happy"], "truth": ["happy"]}])
    return out


def test_tables_hold_the_runs_cells_in_its_order(result_set):
    rs = load_set(result_set)
    assert len(rs.records) == 5 and {r.rel for r in rs.records} >= {"ov/ov-smollm-openset", "semi-attention-A+T"}
    unimodal, multimodal = score_tables(rs.records)
    assert multimodal.title == "Table 5-style: multimodal results per modality combination (attention on demo)"
    assert unimodal.headings == ["Train&Val WAF", "Train&Val ACC"]  # SEMI rows of features: none here
    assert unimodal.rows[0][0] == "egemaps" and unimodal.rows[0][1][0].text == mean_std([0.40, 0.44])
    assert multimodal.headings == ["Train&Val WAF", "Train&Val ACC", "SEMI WAF", "SEMI +PL WAF"]
    key, cells = multimodal.rows[0]
    assert key == "A+T" and [c.text for c in cells] == [mean_std(v) for v in ([0.50, 0.56], [0.60, 0.66],
                                                                            [0.30, 0.34], [0.32, 0.38])]
    assert cells[3].record == "semi+pseudo-label-attention-A+T"
    other = other_rows(rs.records)
    assert [key for key, _ in other.rows] == ["ov-smollm-openset"] and other.rows[0][1][1].text == "25.00"  # one seed: no spread to show


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("src", "href"):
            if tag in ("img", "a", "link") and attrs.get(name) and not attrs[name].startswith("data:"):
                self.links.append(attrs[name])


def _check_links(page: Path):
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    for link in parser.links:
        assert "://" not in link, f"{page.name} links outside the report: {link}"
        path, _, fragment = link.partition("#")
        target = (page.parent / unquote(path)).resolve() if path else page
        assert target.is_file(), f"{page}: {link} is missing"
        if fragment and target.suffix == ".html":
            ids = _Links()
            ids.feed(target.read_text(encoding="utf-8"))
            assert fragment in ids.ids, f"{page}: no #{fragment} in {target.name}"
    return parser


@pytest.mark.slow
def test_report_pages_link_every_picture_and_record(result_set, tmp_path):
    for name in ("trainval-attention-egemaps", "semi+pseudo-label-attention-A+T"):  # fewer pictures to draw
        for path in result_set.glob(f"{name}.*"):
            path.unlink()
    second = tmp_path / "run2"
    _write(second, TRAINVAL, "supervised", "A+T", "combination", [0.70, 0.72])
    index = build_report([load_set(result_set), load_set(second)], tmp_path / "html")
    pages = [index, index.parent / "leaderboard.html", index.parent / "run1" / "index.html",
             index.parent / "run2" / "index.html"]
    for page in pages:
        _check_links(page)
    run1 = pages[2].read_text(encoding="utf-8")
    assert mean_std([0.50, 0.56]) in run1 and "Departures from mer2024" in run1 and "ab" * 32 in run1
    pictures = _check_links(pages[2]).links
    for kind in ("confusion", "f1", "weights"):
        assert f"img/trainval-attention-A_T-{kind}.png" in pictures
    assert "img/trainval-attention-A_T-epochs.png" in pictures and "img/semi-attention-A_T-epochs.png" not in pictures
    board = pages[1].read_text(encoding="utf-8")  # run2's A+T (72 ± ...) tops run1's
    assert board.index("run2/index.html#rec-trainval-attention-A_T") < board.index("run1/index.html#rec-trainval-attention-A_T")
    build_report([load_set(second)], tmp_path / "html")  # a report replaced: the other set's page is gone
    assert not (tmp_path / "html" / "run1").exists()


def test_bad_result_sets_are_one_line_naming_the_file(result_set, tmp_path):
    bad = result_set / "semi-attention-A+T.json"
    bad.write_text("{not json")
    with pytest.raises(ReportError, match="semi-attention-A.T.json: not valid JSON"):
        load_set(result_set)
    record = json.loads((result_set / "trainval-attention-A+T.json").read_text())
    bad.write_text(json.dumps({**record, "seeds": []}))
    with pytest.raises(ReportError, match=r"semi-attention-A\+T.json: result record field seeds"):
        load_set(result_set)
    bad.unlink()
    (result_set / "trainval-attention-A+T.predictions.jsonl").write_text("{}\n")
    with pytest.raises(ReportError, match="does not match the sha256"):
        build_report([load_set(result_set)], tmp_path / "html")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["report", str(empty), "--out", str(tmp_path / "h2")])
    assert result.exit_code == 1 and "no result records found" in result.output and "Traceback" not in result.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    result = CliRunner().invoke(cli, ["report", str(result_set), "--out", str(tmp_path / "mine")])
    assert result.exit_code == 1 and "holds no merbench report" in result.output


def test_report_of_the_results_store(tmp_path):
    """No RESULTS: a page per run of the store (a run's ov/ records on its page) and the leaderboard across
    them; run ids and records of the store name result sets too."""
    from merbench.report.build import result_sets
    from merbench.results.store import Store

    made = tmp_path / "made"
    for name, waf in (("run1", [0.50, 0.56]), ("run2", [0.70, 0.72])):
        _write(made / name, TRAINVAL, "supervised", "A+T", "combination", waf)
    ov = build_record(track="ov", name="ov-smollm-openset", dataset={"name": "demo", "manifest_hash": "ab" * 32},
                      components=[], config={"model": "smollm"}, seeds=[0],
                      per_seed=[{"seed": 0, "scores": {"ov-avg": 0.25}}], main_metric="ov-avg")
    write_record(ov, made / "run1" / "ov")
    store = Store(tmp_path / "results")
    for name in ("run1", "run2"):
        assert len(store.import_dir(made / name).imported) == (2 if name == "run1" else 1)
    assert store.locate("run1") == store.root / "imported" / "run1"  # one run, its ov/ records included
    assert [(s.name, sorted(r.rel for r in s.records)) for s in result_sets([], store.root)] == [
        ("run1", ["ov/ov-smollm-openset", "trainval-attention-A+T"]), ("run2", ["trainval-attention-A+T"])]

    html = tmp_path / "html"
    result = CliRunner().invoke(cli, ["report", "--out", str(html), "--results", str(store.root), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "report of 2 result set(s)" in result.output
    for page in (html / "index.html", html / "leaderboard.html", html / "run1" / "index.html"):
        _check_links(page)
    board = (html / "leaderboard.html").read_text(encoding="utf-8")  # run2's A+T (71 ± ...) tops run1's
    assert board.index("run2/index.html#rec-trainval-attention-A_T") < board.index("run1/index.html#rec-trainval-attention-A_T")
    assert 'id="rec-ov_ov-smollm-openset"' in (html / "run1" / "index.html").read_text(encoding="utf-8")

    named = CliRunner().invoke(cli, ["report", "run2", "run1/trainval-attention-A+T", "--out", str(tmp_path / "h2"),
                                     "--results", str(store.root), "--no-progress"])
    assert named.exit_code == 0, named.output
    assert sorted(p.parent.name for p in (tmp_path / "h2").glob("*/index.html")) == ["run2", "trainval-attention-A_T"]
    empty = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "h3"), "--results", str(tmp_path / "none")])
    assert empty.exit_code == 1 and "holds no run" in empty.output and not (tmp_path / "none").exists()
