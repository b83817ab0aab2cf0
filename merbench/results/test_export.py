"""``merbench results export``: hand-made records to exact CSV, Markdown and LaTeX, escaping, bad input."""

import json

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.results.export import ExportError, export, latex_escape, record_tables
from merbench.results.record import build_record

DATASET = {"name": "demo", "manifest_hash": "ab" * 32}
# a cross-validated track (waf in %, mse as is) and a test-split track with a second strategy, in one table
CV = {"name": "cv", "title": "Train&Val_1", "version": 1, "train_split": "trainval", "test_split": None,
      "metrics": ["waf", "mse"], "main_metric": "waf", "table": "t_a"}
SEMI = {"name": "semi", "title": "MER-SEMI", "heading": "SEMI", "version": 1, "train_split": "trainval",
        "test_split": "semi", "unlabeled_split": "unlabeled", "metrics": ["waf"], "main_metric": "waf",
        "strategies": ["supervised", "pseudo-label"], "table": "t_a"}
CONFIG = {"encoders": {"audio": ["my_enc"], "visual": ["vis|b"]}, "combinations": [["audio", "visual"]],
          "tracks": ["cv", "semi"]}


def _write(folder, track, row, kind, strategy, values, modalities=("audio",)):
    """A record of ``row`` under ``track``/``strategy``; ``values`` is {metric: [value per seed]}."""
    seeds = range(len(next(iter(values.values()))))
    per_seed = [{"seed": s, "scores": {m: v[s] for m, v in values.items()}} for s in seeds]
    record = build_record(track=track["name"], dataset=DATASET, components=[], config={**CONFIG, "track": track},
                          seeds=list(seeds), per_seed=per_seed, main_metric="waf",
                          name=f"{track['name']}-{strategy}-{row}",
                          extra={"row": row, "kind": kind, "strategy": strategy, "modalities": list(modalities)})
    path = folder / f"{record['name'].replace('|', '_')}.json"
    path.write_text(json.dumps(record))
    return path


@pytest.fixture
def records(tmp_path):
    """Records of two feature rows and one combination, written in an order unlike the run's."""
    out = tmp_path / "run"
    (out / "nested").mkdir(parents=True)
    _write(out, CV, "A+V", "combination", "supervised", {"waf": [0.5, 0.6], "mse": [1.25, 1.75]}, ("audio", "visual"))
    _write(out / "nested", CV, "vis|b", "feature", "supervised", {"waf": [0.25, 0.25], "mse": [2.0, 2.0]}, ("visual",))
    _write(out, CV, "my_enc", "feature", "supervised", {"waf": [0.4, 0.5], "mse": [1.0, 1.5]})
    _write(out, SEMI, "A+V", "combination", "supervised", {"waf": [0.3, 0.4]}, ("audio", "visual"))
    _write(out, SEMI, "A+V", "combination", "pseudo-label", {"waf": [0.35, 0.45]}, ("audio", "visual"))
    return out


def test_csv_has_mean_and_std_columns_in_the_tables_unit(records):
    assert export(records, "csv") == (
        "table,kind,row,Train&Val_1 WAF mean,Train&Val_1 WAF std,Train&Val_1 MSE mean,Train&Val_1 MSE std,"
        "SEMI WAF mean,SEMI WAF std,SEMI +PL WAF mean,SEMI +PL WAF std\n"
        "t_a,feature,my_enc,45,7.071067812,1.25,0.3535533906,,,,\n"
        "t_a,feature,vis|b,25,0,2,0,,,,\n"
        "t_a,combination,A+V,55,7.071067812,1.5,0.3535533906,35,7.071067812,40,7.071067812\n")


def test_markdown_pipe_tables_escape_pipes(records):
    assert export(records, "md") == (
        "### Table 4-style: unimodal results per feature (mean±std over seeds; fractions in %)\n"
        "\n"
        "| Features | Train&Val_1 WAF | Train&Val_1 MSE |\n"
        "|:---|---:|---:|\n"
        "| my_enc | 45.00 ± 7.07 | 1.2500 ± 0.3536 |\n"
        "| vis\\|b | 25.00 ± 0.00 | 2.0000 ± 0.0000 |\n"
        "\n"
        "### Table 5-style: multimodal results per modality combination\n"
        "\n"
        "| Modalities | Train&Val_1 WAF | Train&Val_1 MSE | SEMI WAF | SEMI +PL WAF |\n"
        "|:---|---:|---:|---:|---:|\n"
        "| A+V | 55.00 ± 7.07 | 1.5000 ± 0.3536 | 35.00 ± 7.07 | 40.00 ± 7.07 |\n")


def test_latex_booktabs_with_escaped_specials(records):
    assert export(records, "latex") == (
        "\\begin{table}[t]\n"
        "\\centering\n"
        "\\caption{Table 4-style: unimodal results per feature (mean$\\pm$std over seeds; fractions in \\%)}\n"
        "\\begin{tabular}{lrr}\n"
        "\\toprule\n"
        "Features & Train\\&Val\\_1 WAF & Train\\&Val\\_1 MSE \\\\\n"
        "\\midrule\n"
        "my\\_enc & 45.00 $\\pm$ 7.07 & 1.2500 $\\pm$ 0.3536 \\\\\n"
        "vis|b & 25.00 $\\pm$ 0.00 & 2.0000 $\\pm$ 0.0000 \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n"
        "\\end{table}\n"
        "\n"
        "\\begin{table}[t]\n"
        "\\centering\n"
        "\\caption{Table 5-style: multimodal results per modality combination}\n"
        "\\begin{tabular}{lrrrr}\n"
        "\\toprule\n"
        "Modalities & Train\\&Val\\_1 WAF & Train\\&Val\\_1 MSE & SEMI WAF & SEMI +PL WAF \\\\\n"
        "\\midrule\n"
        "A+V & 55.00 $\\pm$ 7.07 & 1.5000 $\\pm$ 0.3536 & 35.00 $\\pm$ 7.07 & 40.00 $\\pm$ 7.07 \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n"
        "\\end{table}\n")


def test_latex_escape_covers_every_special_character():
    assert latex_escape(r"a_b&c%d$e#f{g}h~i^j\k±×") == (
        r"a\_b\&c\%d\$e\#f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k$\pm$$\times$")


def test_one_record_file_makes_its_own_table(records):
    (table,) = record_tables(records / "cv-supervised-my_enc.json")
    assert table.kind == "feature" and [key for key, _ in table.rows] == ["my_enc"]
    assert [c.heading for c in table.columns] == ["Train&Val_1 WAF", "Train&Val_1 MSE"]


def test_tables_are_split_by_the_tracks_table(tmp_path):
    _write(tmp_path, CV, "my_enc", "feature", "supervised", {"waf": [0.4], "mse": [1.0]})
    _write(tmp_path, {**CV, "name": "other", "table": "t_b"}, "my_enc", "feature", "supervised",
           {"waf": [0.5], "mse": [1.0]})
    tables = record_tables(tmp_path)
    assert [(t.name, t.title.endswith(f"({t.name})")) for t in tables] == [("t_a", True), ("t_b", True)]


def test_records_that_are_no_table_row_make_a_table_of_their_track_one_row_per_record(records):
    for name, avg, acc in (("ov-m-shipped", [0.5, 0.25], [0.75, 0.5]), ("ov-a-offline", [0.125], [0.25])):
        ov = build_record(track="ov", dataset=DATASET, components=[], config={"model": "m"}, seeds=list(range(len(avg))),
                          per_seed=[{"seed": s, "scores": {"ov-avg": a, "ov-accuracy": c}}
                                    for s, (a, c) in enumerate(zip(avg, acc))], main_metric="ov-accuracy", name=name)
        (records / f"{name}.json").write_text(json.dumps(ov))
    tables = record_tables(records)
    assert [t.kind for t in tables] == ["feature", "combination", "record"]
    ov = tables[-1]
    assert (ov.name, ov.row_heading, [c.heading for c in ov.columns]) == ("ov", "Record", ["OV-ACCURACY", "OV-AVG"])
    assert [(key, [c.text() for c in cells]) for key, cells in ov.rows] == [
        ("ov-a-offline", ["25.00", "12.50"]), ("ov-m-shipped", ["62.50±17.68", "37.50±17.68"])]  # main metric first
    assert "| ov-m-shipped | 62.50 ± 17.68 | 37.50 ± 17.68 |" in export(records, "md")
    assert "\nov,record,ov-a-offline,,,,,,,,,25,0,12.5,0\n" in export(records, "csv")  # one header for all tables
    (records / "nested" / "again.json").write_text((records / "ov-a-offline.json").read_text())
    with pytest.raises(ExportError, match=r"again.json and .*ov-a-offline.json are both record 'ov-a-offline' of track ov"):
        record_tables(records)


def test_two_records_of_one_cell_name_both_files(records, tmp_path):
    copy = records / "nested" / "again.json"
    copy.write_text((records / "cv-supervised-my_enc.json").read_text())
    with pytest.raises(ExportError, match=r"cv-supervised-my_enc.json and .*again.json both hold cv of row 'my_enc'"):
        record_tables(records)


def test_one_track_defined_two_ways_is_an_error(tmp_path):
    _write(tmp_path, CV, "my_enc", "feature", "supervised", {"waf": [0.4], "mse": [1.0]})
    _write(tmp_path, {**CV, "version": 2}, "vis|b", "feature", "supervised", {"waf": [0.4], "mse": [1.0]})
    with pytest.raises(ExportError, match="score track 'cv' differently"):
        record_tables(tmp_path)


def test_cli_writes_the_file_and_reports_bad_input_in_one_line(records, tmp_path):
    runner = CliRunner()
    out = tmp_path / "tables.tex"
    result = runner.invoke(cli, ["results", "export", str(records), "--format", "latex", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == export(records, "latex")
    (records / "broken.json").write_text("{not json")
    result = runner.invoke(cli, ["results", "export", str(records), "--format", "md"])
    assert result.exit_code == 1 and "broken.json: not valid JSON" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["results", "export", str(empty), "--format", "csv"])
    assert result.exit_code == 1 and "no result records found (*.json" in result.output
