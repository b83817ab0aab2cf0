"""The plugin manager: built-ins, entry points, failures, clashes, switches."""

import subprocess
import sys
import textwrap

import pytest

from merbench import hookspecs, plugins
from merbench.hookspecs import hookimpl
from merbench.plugins import PluginError, PluginManager, UnknownComponentError
from merbench.specs import KINDS, ComponentSpec


class _Plugin:
    """A throw-away plugin object registering components named in ``names`` for ``kind``."""

    def __init__(self, kind, *names, factory="merbench.plugins:PluginManager"):
        hook = KINDS[kind]

        def impl(register):
            for n in names:
                register(n, factory, summary=f"{kind} {n}")

        setattr(self, hook, hookimpl(impl))


def _manager(*extra, builtins=plugins.DEFAULT_PLUGINS):
    manager = PluginManager(builtins=builtins, entry_points=False)
    for i, (plugin, dist) in enumerate(extra):
        manager.register_plugin(plugin, f"third_party_{i}", dist)
    manager.load()
    return manager


def test_builtins_register_through_the_public_hooks():
    manager = _manager()
    for module_name in plugins.DEFAULT_PLUGINS:
        assert manager.pm.get_plugin(module_name) is not None
    assert {"plugins", "encoders"} <= set(manager.registry.names("command"))
    assert all(p.builtin for p in manager.registry.plugins)


def test_every_declaration_hook_registers_its_kind():
    # register_datasets .. register_commands: one throw-away component of each kind.
    manager = _manager(*[(_Plugin(kind, f"fake-{kind}"), "fake-dist 1.0") for kind in KINDS], builtins=())
    for kind in KINDS:
        spec = manager.registry.get(kind, f"fake-{kind}")
        assert spec.kind == kind and spec.distribution == "fake-dist 1.0"


def test_example_plugin_is_found_through_its_entry_point():
    manager = PluginManager(entry_points=True)
    registry = manager.load()
    spec = registry.get("encoder", "log-band-energy")
    assert spec.distribution.startswith("merbench-example ")
    assert spec.plugin == "example"  # the entry-point name, not a module path
    assert registry.get("metric", "macro-f1").distribution.startswith("merbench-example ")
    assert "merbench_example" not in " ".join(plugins.DEFAULT_PLUGINS)
    assert "log-band-energy" not in PluginManager(entry_points=False).load().names("encoder")


def test_factories_load_lazily_and_build(pseudo_audio):
    registry = PluginManager(entry_points=True).load()
    encoder = registry.create("encoder", "log-band-energy")
    out = encoder.encode([pseudo_audio, pseudo_audio[:8000]])
    assert out.hidden_states[0].shape == (2, 198, 24)
    assert list(out.lengths) == [198, 48]


def test_two_third_party_plugins_claiming_one_name_is_an_error_naming_both():
    with pytest.raises(PluginError, match=r"'third_party_0' \(dist-a 1.0\) and 'third_party_1' \(dist-b 2.0\)"):
        _manager((_Plugin("encoder", "dup"), "dist-a 1.0"), (_Plugin("encoder", "dup"), "dist-b 2.0"))


def test_builtin_wins_a_name_clash():
    manager = _manager((_Plugin("command", "plugins"), "sneaky 0.1"))
    assert manager.registry.get("command", "plugins").distribution == plugins.BUILTIN_DISTRIBUTION
    assert any("sneaky" in line for line in manager.registry.shadowed)


def test_unknown_name_suggests_close_ones():
    manager = _manager((_Plugin("fusion", "attention", "attention-topn"), "f 1"), builtins=())
    with pytest.raises(UnknownComponentError, match=r"Did you mean 'attention'"):
        manager.registry.get("fusion", "atention")
    with pytest.raises(UnknownComponentError, match="unknown component kind"):
        manager.registry.get("fusions", "attention")


def test_register_failure_of_a_third_party_plugin_is_reported_not_raised():
    class Broken:
        @hookimpl
        def register_metrics(self, register):
            raise RuntimeError("boom")

    with pytest.warns(RuntimeWarning, match="boom"):
        manager = _manager((Broken(), "broken-dist 0.0.1"), builtins=())
    assert manager.registry.failures[0].distribution == "broken-dist 0.0.1"


def test_spec_validation():
    with pytest.raises(ValueError, match="module:attr"):
        ComponentSpec("encoder", "x", "no_colon")
    with pytest.raises(ValueError, match="unknown component kind"):
        ComponentSpec("widget", "x", "a:b")
    spec = ComponentSpec("encoder", "x", "a:b", card={"layers": [1, 2]})
    with pytest.raises(TypeError):
        spec.card["layers"] = None  # frozen


def test_lifecycle_hooks_reach_plugins(tmp_path, monkeypatch):
    seen = []

    class Watcher:
        @hookimpl
        def merbench_configure(self, config):
            seen.append(("configure", config["x"]))

        @hookimpl
        def merbench_run_start(self, run):
            seen.append(("start", run))

        @hookimpl
        def merbench_record(self, record):
            seen.append(("record", record["track"]))

        @hookimpl
        def merbench_run_finish(self, run, records):
            seen.append(("finish", len(records)))

    manager = _manager((Watcher(), "watcher 1"), builtins=())
    monkeypatch.setattr(plugins, "_manager", manager)
    manager.hook.merbench_configure(config={"x": 1})
    manager.hook.merbench_run_start(run="r")
    from merbench.results.record import build_record, write_record

    rec = build_record(track="trainval", dataset={"name": "d", "manifest_hash": "0" * 64}, components=[], config={},
                       seeds=[0], per_seed=[{"seed": 0, "scores": {"waf": 0.5}}], main_metric="waf")
    write_record(rec, tmp_path)
    manager.hook.merbench_run_finish(run="r", records=[rec])
    assert seen == [("configure", 1), ("start", "r"), ("record", "trainval"), ("finish", 1)]


# --- a broken distribution installed on sys.path, seen from a fresh process -------------------------
@pytest.fixture
def broken_distribution(tmp_path):
    site = tmp_path / "site"
    (site / "merbench_broken").mkdir(parents=True)
    (site / "merbench_broken" / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    info = site / "merbench_broken-0.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: merbench-broken\nVersion: 0.3.1\n")
    (info / "entry_points.txt").write_text("[merbench]\nbroken = merbench_broken\n")
    return site


def _merbench(args, site, **env):
    import os

    full_env = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run([sys.executable, "-m", "merbench", *args], capture_output=True, text=True, env=full_env,
                          timeout=120)


def test_doctor_reports_a_broken_distribution_and_list_still_works(broken_distribution):
    doctor = _merbench(["plugins", "doctor"], broken_distribution, COLUMNS="200")
    assert doctor.returncode == 0, doctor.stderr
    assert "merbench-broken 0.3.1" in doctor.stdout
    assert "ModuleNotFoundError" in doctor.stdout and "a_module_that_does_not_exist" in doctor.stdout
    listing = _merbench(["plugins", "list"], broken_distribution, COLUMNS="200")
    assert listing.returncode == 0 and "log-band-energy" in listing.stdout
    assert "failed to load" in listing.stdout


def test_strict_mode_makes_a_broken_plugin_fatal(broken_distribution):
    result = _merbench(["plugins", "list"], broken_distribution, MERBENCH_STRICT_PLUGINS="1")
    assert result.returncode != 0
    assert "merbench-broken 0.3.1" in result.stderr


def test_disable_and_allow_list_switches(broken_distribution):
    disabled = _merbench(["plugins", "doctor"], broken_distribution, MERBENCH_DISABLE_PLUGINS="merbench-broken", COLUMNS="200")
    assert "merbench-broken" not in disabled.stdout and "example" in disabled.stdout
    allowed = _merbench(["plugins", "doctor"], broken_distribution, MERBENCH_PLUGINS="example", COLUMNS="200")
    assert "merbench-broken" not in allowed.stdout and "merbench-example" in allowed.stdout


def test_trace_switch_prints_hook_calls(broken_distribution):
    result = _merbench(["plugins", "list", "--kind", "metric"], broken_distribution,
                       MERBENCH_TRACE_PLUGINS="1", MERBENCH_DISABLE_PLUGINS="merbench-broken")
    assert "example.register_metrics() registered macro-f1" in result.stderr
    assert "register_metrics" in result.stderr


def test_help_does_not_import_torch():
    code = ("import sys; from merbench.cli.main import cli\n"
            "try:\n    cli(['--help'], prog_name='merbench')\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'cv2', 'av', 'h5py', 'opensmile') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_hookspec_module_is_the_api_doc():
    for name in KINDS.values():
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"
