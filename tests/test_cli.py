"""The core commands: --version, plugins list/doctor, encoders."""

from click.testing import CliRunner

from merbench import __version__
from merbench.cli.main import cli


def _run(*args):
    result = CliRunner().invoke(cli, list(args), terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_version():
    assert __version__ in _run("--version")


def test_plugins_list_filters_by_kind():
    out = _run("plugins", "list", "--kind", "metric")
    assert "macro-f1" in out and "merbench-example" in out
    assert "log-band-energy" not in out


def test_plugins_list_json():
    import json

    rows = json.loads(_run("plugins", "list", "--json"))
    assert {"kind", "name", "plugin", "distribution", "summary"} <= set(rows[0])


def test_encoders_table_shows_cards_and_plugin_encoders():
    out = _run("encoders", "--all")
    assert "chinese-hubert-large" in out and "WenetSpeech" in out
    assert "log-band-energy" in out  # from the example plugin, which has no catalog entry


def test_unknown_command_suggests_a_close_one():
    result = CliRunner().invoke(cli, ["plugin"])
    assert result.exit_code != 0 and "Did you mean 'plugins'" in result.output
