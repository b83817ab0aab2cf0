"""The plugin manager: built-ins, entry points, failures, clashes, switches; one ``test_hook_<name>`` per hook.

As in datasette's test suite, the meta-tests at the end fail when a hook of ``merbench/hookspecs.py``
has no ``test_hook_<name>`` here or no section in ``docs/plugin-hooks.md``.
"""

import dataclasses
import inspect
import os
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pluggy
import pytest

from merbench import hookspecs, plugins
from merbench.contracts import cards
from merbench.hookspecs import hookimpl
from merbench.plugins import HOOK_NAMES, PluginError, PluginManager, UnknownComponentError
from merbench.specs import KINDS, ComponentSpec, ContractError, FactoryError, ParamError, SpecError

ROOT = Path(__file__).resolve().parents[1]

#: the smallest valid card of each kind (kinds not listed take an empty one)
CARDS = {
    "encoder": {"modality": "audio", "dim": 2},
    "corruption": {"modalities": ["audio"]},
    "metric": {"label_type": "discrete", "higher_is_better": True},
}


class _Plugin:
    """A throw-away plugin object registering components named in ``names`` for ``kind``."""

    def __init__(self, kind, *names, factory="merbench.plugins:PluginManager", card=None, defaults=None):
        hook = KINDS[kind]

        def impl(register):
            for n in names:
                register(n, factory, summary=f"{kind} {n}", card=CARDS.get(kind) if card is None else card,
                         defaults=defaults)

        setattr(self, hook, hookimpl(impl))


def _manager(*extra, builtins=plugins.DEFAULT_PLUGINS):
    manager = PluginManager(builtins=builtins, entry_points=False)
    for i, (plugin, dist) in enumerate(extra):
        manager.register_plugin(plugin, f"third_party_{i}", dist)
    manager.load()
    return manager


def _one_failure(*plugin_objects):
    """Load built-ins plus ``plugin_objects``; return the manager and the single failure's reason."""
    with pytest.warns(RuntimeWarning, match="failed and was skipped"):
        manager = _manager(*[(p, "bad-dist 0.1") for p in plugin_objects])
    registry = manager.registry
    assert len(registry.failures) == 1, registry.failures
    assert "egemaps" in registry.names("encoder"), "the other plugins must still load"
    failure = registry.failures[0]
    assert failure.distribution == "bad-dist 0.1" and "\n" not in failure.error
    assert failure.plugin not in {p.name for p in registry.plugins}, "a failed plugin is not listed as loaded"
    assert not manager.pm.has_plugin(failure.plugin), "a failed plugin is unregistered from pluggy"
    return manager, failure.error


# -- loading ------------------------------------------------------------------------------------
def test_builtins_register_through_the_public_hooks():
    manager = _manager()
    for module_name in plugins.DEFAULT_PLUGINS:
        assert manager.pm.get_plugin(module_name) is not None
    assert {"plugins", "encoders"} <= set(manager.registry.names("command"))
    assert all(p.builtin for p in manager.registry.plugins)


def test_every_declaration_hook_registers_its_kind():
    manager = _manager(*[(_Plugin(kind, f"fake-{kind}"), "fake-dist 1.0") for kind in KINDS], builtins=())
    for kind in KINDS:
        spec = manager.registry.get(kind, f"fake-{kind}")
        assert spec.kind == kind and spec.distribution == "fake-dist 1.0"
        if kind not in ("track", "protocol"):
            assert isinstance(spec.card, cards.CARD_TYPES[kind])


def test_only_hookimpl_functions_count_and_each_is_attributed_to_its_plugin():
    seen = []

    class Two:
        @hookimpl
        def register_metrics(self, register):
            seen.append("decorated")
            register("two-metric", "merbench.training.metrics:Accuracy", card=CARDS["metric"])

        def helper(self, register):  # not a hook: never called
            seen.append("helper")

    manager = _manager((_Plugin("metric", "one-metric", factory="merbench.training.metrics:Accuracy"), "one 1"),
                       (Two(), "two 2"))
    assert seen == ["decorated"]
    assert manager.registry.get("metric", "one-metric").plugin == "third_party_0"
    assert manager.registry.get("metric", "two-metric").distribution == "two 2"


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


def test_an_encoder_alias_finds_its_encoder_case_insensitively_and_a_clashing_alias_is_shadowed():
    card = {"modality": "audio", "dim": 2}
    manager = _manager((_Plugin("encoder", "tiny-hubert", card={**card, "aliases": ["hubert-tiny"]}), "a 1"),
                       (_Plugin("encoder", "other", card={**card, "aliases": ["hubert-tiny", "egemaps"]}), "b 1"))
    registry = manager.registry
    assert registry.get("encoder", "HuBERT-Tiny").name == "tiny-hubert"
    assert registry.canonical("encoder", "hubert-tiny") == "tiny-hubert"
    assert registry.canonical("encoder", "tiny-hubert") == "tiny-hubert"
    assert registry.get("encoder", "egemaps").plugin == "merbench.builtin.encoders", "a name beats an alias"
    assert registry.get("encoder", "hubert-large").name == "chinese-hubert-large", "the built-in alias"
    assert sorted(line for line in registry.shadowed if "alias" in line) == [
        "encoder alias 'egemaps' of 'other' ignored: it is the name of encoder 'egemaps'",
        "encoder alias 'hubert-tiny' of 'other' ignored: it is already an alias of 'tiny-hubert'",
    ]
    with pytest.raises(UnknownComponentError, match=r"Did you mean 'hubert-tiny'"):
        registry.get("encoder", "hubert-tny")


def test_an_encoder_alias_a_user_could_not_type_is_a_card_error():
    for alias in ("hubert large", "audio=hubert", "hubert:x", "import:x", ""):
        with pytest.raises(cards.CardError, match="cannot be typed"):
            cards.EncoderCard(modality="audio", dim=2, aliases=(alias,))


def test_the_registry_is_frozen_after_loading():
    registry = _manager().registry
    with pytest.raises(TypeError):
        registry.specs["encoder"]["mine"] = registry.get("encoder", "egemaps")
    with pytest.raises(TypeError):
        registry.specs["widget"] = {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.failures = ()
    with pytest.raises(AttributeError):
        registry.plugins.append(None)  # a tuple
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.get("encoder", "egemaps").card.modality = "text"


# -- a broken third-party plugin is isolated, with a one-line reason ---------------------------
def test_pluggy_validates_a_misspelt_hook_argument():
    class Misspelt:
        @hookimpl
        def register_encoders(self, regster):
            pass

    pm = pluggy.PluginManager("merbench")
    pm.add_hookspecs(hookspecs)
    with pytest.raises(pluggy.PluginValidationError, match="regster"):
        pm.register(Misspelt())


def test_a_misspelt_hook_argument_isolates_the_plugin():
    class Misspelt:
        @hookimpl
        def register_encoders(self, regster):
            pass

    _, error = _one_failure(Misspelt())
    assert error == ("register_encoders(regster): argument 'regster' is not in the hook spec "
                     "register_encoders(register) (did you mean 'register'?)")


def test_an_undecorated_register_function_isolates_the_plugin():
    class Undecorated:
        def register_encoders(self, register):
            register("never", "merbench.encoders.opensmile:OpenSmileEncoder", card=CARDS["encoder"])

    manager, error = _one_failure(Undecorated())
    assert error.startswith("register_encoders has no @hookimpl decorator (missing @hookimpl)")
    assert "never" not in manager.registry.names("encoder")


def test_pluggy_check_pending_reports_a_misspelt_hook_name():
    class Misnamed:
        @hookimpl
        def register_encoder(self, register):
            pass

    pm = pluggy.PluginManager("merbench")
    pm.add_hookspecs(hookspecs)
    pm.register(Misnamed())  # pluggy accepts an unknown name until check_pending()
    with pytest.raises(pluggy.PluginValidationError, match="unknown hook 'register_encoder'"):
        pm.check_pending()


def test_a_misspelt_hook_name_isolates_the_plugin():
    class Misnamed:
        @hookimpl
        def register_encoder(self, register):
            pass

        @hookimpl
        def register_metrics(self, register):
            register("half-registered", "merbench.training.metrics:Accuracy", card=CARDS["metric"])

    manager, error = _one_failure(Misnamed())
    assert error == ("unknown hook 'register_encoder' (did you mean 'register_encoders'?): "
                     "merbench.hookspecs declares no such hook")
    assert "half-registered" not in manager.registry.names("metric"), "nothing of a failed plugin is registered"
    manager.pm.check_pending()  # what is left is valid


def test_a_hook_that_raises_isolates_the_plugin():
    class Broken:
        @hookimpl
        def register_metrics(self, register):
            raise RuntimeError("boom")

        @hookimpl
        def merbench_record(self, record):
            raise AssertionError("an isolated plugin's lifecycle hooks are never called")

    manager, error = _one_failure(Broken())
    assert error == "register_metrics raised RuntimeError: boom"
    manager.hook.merbench_record(record={})


@pytest.mark.parametrize("factory,reason", [
    ("no_colon", "encoder 'x': factory must be 'module:attr', got 'no_colon'"),
    ("merbench_not_installed.encoder:Enc",
     "encoder 'x': factory 'merbench_not_installed.encoder:Enc' is not importable: ModuleNotFoundError: "
     "No module named 'merbench_not_installed'"),
    ("merbench.encoders.not_a_module:Enc",
     "encoder 'x': factory 'merbench.encoders.not_a_module:Enc' is not importable: no module named "
     "'merbench.encoders.not_a_module'"),
])
def test_a_bad_factory_string_isolates_the_plugin(factory, reason):
    _, error = _one_failure(_Plugin("encoder", "x", factory=factory))
    assert error == f"register_encoders: {reason}"


def test_a_card_without_modality_isolates_the_plugin():
    _, error = _one_failure(_Plugin("encoder", "x", factory="merbench.encoders.opensmile:OpenSmileEncoder",
                                    card={"dim": 3}))
    assert error == "register_encoders: encoder 'x': card lacks required field 'modality'"


def test_a_card_error_the_plugin_swallows_still_fails_it():
    class Swallower:
        @hookimpl
        def register_encoders(self, register):
            try:
                register("x", "merbench.encoders.opensmile:OpenSmileEncoder", card={"modality": "smell", "dim": 1})
            except ValueError:
                pass

    _, error = _one_failure(Swallower())
    assert error == "register_encoders: encoder 'x': card field 'modality': 'smell' is not one of audio, text, visual"


def test_a_plugin_registering_one_name_twice_fails():
    _, error = _one_failure(_Plugin("metric", "twice", "twice", factory="merbench.training.metrics:Accuracy"))
    assert error == "register_metrics: metric 'twice' is registered twice"


def test_the_same_mistake_in_a_builtin_plugin_is_fatal(monkeypatch):
    import types

    module = types.ModuleType("merbench_fake_builtin")
    module.register_encoders = lambda register: None  # no @hookimpl
    monkeypatch.setitem(sys.modules, "merbench_fake_builtin", module)
    with pytest.raises(PluginError, match="built-in plugin 'merbench_fake_builtin': register_encoders has no @hookimpl"):
        PluginManager(builtins=("merbench_fake_builtin",), entry_points=False).load()


def test_strict_mode_makes_an_isolated_plugin_fatal(monkeypatch):
    monkeypatch.setenv("MERBENCH_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="plugin 'third_party_0' from bad 0.1 failed: register_encoders: encoder 'x'"):
        _manager((_Plugin("encoder", "x", card={"dim": 1}), "bad 0.1"), builtins=())


# -- specs and create() ------------------------------------------------------------------------
def test_spec_validation():
    with pytest.raises(SpecError, match="module:attr"):
        ComponentSpec("command", "x", "no_colon")
    with pytest.raises(SpecError, match="module:attr"):
        ComponentSpec("command", "x", "a.b:")
    with pytest.raises(SpecError, match="unknown component kind"):
        ComponentSpec("widget", "x", "a:b")
    with pytest.raises(SpecError, match="encoder 'x': card lacks required field 'modality'"):
        ComponentSpec("encoder", "x", "a:b")
    with pytest.raises(SpecError, match="card has unknown field 'dims'"):
        ComponentSpec("encoder", "x", "a:b", card={"modality": "audio", "dim": 1, "dims": 2})
    with pytest.raises(SpecError, match="a metric card was given where a encoder card is needed"):
        ComponentSpec("encoder", "x", "a:b", card=cards.MetricCard(label_type="discrete", higher_is_better=True))
    spec = ComponentSpec("encoder", "x", "a:b", card={"modality": "audio", "dim": 4, "input_kind": "waveform"})
    assert spec.card == cards.EncoderCard(modality="audio", dim=4, input_kind="waveform")
    track = ComponentSpec("track", "t", "a:b", card={"layers": [1, 2]})
    with pytest.raises(TypeError):
        track.card["layers"] = None  # a track's free-form card is frozen too
    assert track.card["layers"] == (1, 2)


def test_create_checks_the_contract_class():
    spec = ComponentSpec("metric", "not-a-metric", "collections:OrderedDict", card=CARDS["metric"])
    with pytest.raises(ContractError, match="metric 'not-a-metric': factory 'collections:OrderedDict' built a "
                                            "OrderedDict, not a merbench.contracts.metric.Metric"):
        spec.create()


def test_create_checks_the_card_against_the_component():
    spec = ComponentSpec("metric", "mse-claims-higher", "merbench.training.metrics:ValenceMSE",
                         card={"label_type": "valence", "higher_is_better": True})
    with pytest.raises(ContractError, match="card higher_is_better=True but higher_is_better=False"):
        spec.create()


def test_create_lets_a_caller_override_a_mirrored_attribute():
    spec = ComponentSpec("describer", "lm", "merbench.ov.describers:TransformersDescriber", card={"inputs": ["text"]})
    assert spec.create(model="m", inputs=("audio",)).inputs == ("text", "audio")  # asked for: not a card contradiction


def test_create_names_a_factory_that_does_not_import():
    spec = ComponentSpec("metric", "gone", "merbench.training.metrics:NoSuchMetric", card=CARDS["metric"],
                         distribution="d 1")
    with pytest.raises(FactoryError, match=r"metric 'gone' from d 1: cannot import its factory .*NoSuchMetric"):
        spec.create()


def test_create_names_a_parameter_the_factory_does_not_take_and_those_it_does():
    spec = plugins.get("encoder", "egemaps")
    with pytest.raises(ParamError, match=r"encoder 'egemaps' from merbench \(built-in\): unknown parameter "
                                         r"'feature_sett' \(did you mean 'feature_set'\?\); it takes feature_set, "
                                         r"feature_level, threads$"):
        spec.create(feature_sett="IS09")
    assert spec.create(feature_set="IS09").feature_set == "IS09"


# -- one test per hook (the meta-tests below insist) -------------------------------------------
def _declare(kind, name, factory, card=None, defaults=None):
    return _manager((_Plugin(kind, name, factory=factory, card=card, defaults=defaults), "hooks 1.0"),
                    builtins=()).registry.get(kind, name)


def test_hook_register_datasets():
    spec = _declare("dataset", "csv", "merbench.datasets.manifest:ManifestDataset", card={"layout": "manifest"})
    assert spec.card == cards.DatasetCard(layout="manifest") and spec.card.valence is None


def test_hook_register_encoders(pseudo_audio):
    spec = _declare("encoder", "bands", "merbench_example.encoder:LogBandEnergy",
                    card=cards.EncoderCard(modality="audio", input_kind="waveform", dim=24))
    encoder = spec.create()
    assert (encoder.modality, spec.card.dim) == ("audio", 24)
    assert encoder.encode([pseudo_audio, pseudo_audio]).hidden_states[0].shape[-1] == spec.card.dim


def test_hook_register_fusions():
    from merbench.contracts.fusion import Fusion

    spec = _declare("fusion", "mlp", "merbench.fusions.concat:ConcatMLPFusion", card={"stackable": True})
    assert isinstance(spec.create(input_dims={"audio": 4}, num_classes=6, hidden_dim=8, dropout=0.1), Fusion)
    assert (spec.card.input_level, spec.card.branches) == ("utterance", "modality")


def test_hook_register_corruptions():
    from merbench.contracts.corruption import Corruption

    spec = _declare("corruption", "hiss", "merbench.corrupt.audio:WhiteNoise", card={"modalities": ["audio"]})
    assert spec.card.modalities == ("audio",) and isinstance(spec.create(snr=5), Corruption)


def test_hook_register_describers():
    spec = _declare("describer", "lm", "merbench.ov.describers:TransformersDescriber",
                    card={"backend": "transformers", "inputs": ["text"]})
    assert spec.create(model="some/model").inputs == ("text",)  # building loads nothing
    multimodal = _declare("describer", "mllm", "merbench.ov.describers:TransformersDescriber",
                          card={"inputs": ["text"]}, defaults={"inputs": ["audio"]})
    with pytest.raises(ContractError, match="include 'audio', which card inputs"):
        multimodal.create(model="some/model")


def test_hook_register_groupers():
    spec = _declare("grouper", "lexicon", "merbench.ov.groupers:OfflineGrouper", card={"embedding": "none"})
    assert spec.card == cards.GrouperCard(embedding="none")


def test_hook_register_metrics():
    spec = _declare("metric", "accuracy", "merbench.training.metrics:Accuracy",
                    card=cards.MetricCard(label_type="discrete", higher_is_better=True))
    assert spec.create()(["happy", "sad"], ["happy", "happy"]) == 0.5 and spec.card.direction == "max"


def test_hook_register_transcribers():
    spec = _declare("transcriber", "asr", "merbench.transcribe.whisper:WhisperTranscriber",
                    card={"languages": ["en"], "backend": "faster-whisper"})
    assert spec.card.languages == ("en",)


def test_hook_register_training_strategies():
    spec = _declare("strategy", "self-train", "merbench.training.strategies:PseudoLabel", card={"uses_unlabeled": True})
    assert spec.create().uses_unlabeled is True
    wrong = _declare("strategy", "claims-supervised", "merbench.training.strategies:PseudoLabel", card={})
    with pytest.raises(ContractError, match="card uses_unlabeled=False but uses_unlabeled=True"):
        wrong.create()


def test_hook_register_tracks():
    from merbench.contracts.track import Track

    path = Path(__file__).resolve().parent.parent / "merbench" / "tracks" / "semi.yaml"
    spec = _declare("track", "mine", "merbench.contracts.track:load_track", card={"splits": ["a"]},
                    defaults={"path": str(path)})
    assert spec.card["splits"] == ("a",)  # free-form, frozen
    assert isinstance(spec.create(), Track) and spec.create().test_split == "semi"


def test_hook_register_protocols():
    from merbench.contracts.protocol import Protocol

    path = Path(__file__).resolve().parent.parent / "merbench" / "protocols" / "mer2024.yaml"
    spec = _declare("protocol", "mine", "merbench.contracts.protocol:load_protocol", defaults={"path": str(path)})
    made = spec.create()
    assert isinstance(made, Protocol) and made.settings["standardize"] is False


def test_hook_register_commands():
    import click

    spec = _declare("command", "plugins-again", "merbench.cli.plugins:plugins", card={})
    assert isinstance(spec.load(), click.Command) and spec.card == cards.CommandCard()


class _Watcher:
    def __init__(self):
        self.seen = []

    @hookimpl
    def merbench_configure(self, config):
        self.seen.append(("configure", config["x"]))

    @hookimpl
    def merbench_run_start(self, run):
        self.seen.append(("start", run["out"]))

    @hookimpl
    def merbench_record(self, record):
        record.setdefault("extra", {})["watched"] = True
        self.seen.append(("record", record["track"]))

    @hookimpl
    def merbench_run_finish(self, run, records):
        self.seen.append(("finish", len(records)))


@pytest.fixture
def watcher(monkeypatch):
    watcher = _Watcher()
    monkeypatch.setattr(plugins, "_manager", _manager((watcher, "watcher 1"), builtins=()))
    return watcher


def test_hook_merbench_configure(watcher):
    plugins.get_manager().hook.merbench_configure(config={"x": 1})
    assert watcher.seen == [("configure", 1)]


def test_hook_merbench_run_start(watcher):
    plugins.get_manager().hook.merbench_run_start(run={"config": {}, "dataset": None, "out": "o"})
    assert watcher.seen == [("start", "o")]


def test_hook_merbench_record(watcher, tmp_path):
    from merbench.results.record import build_record, write_record

    rec = build_record(track="trainval", dataset={"name": "d", "manifest_hash": "0" * 64}, components=[], config={},
                       seeds=[0], per_seed=[{"seed": 0, "scores": {"waf": 0.5}}], main_metric="waf")
    write_record(rec, tmp_path)  # the real call site
    assert watcher.seen == [("record", "trainval")] and rec["extra"]["watched"] is True


def test_hook_merbench_run_finish(watcher):
    plugins.get_manager().hook.merbench_run_finish(run="r", records=[{}, {}])
    assert watcher.seen == [("finish", 2)]


# -- broken distributions installed on sys.path, seen from a fresh process ----------------------
def _distribution(site, name, version, modules):
    """Write ``modules`` (entry-point name -> source) as one distribution under ``site``."""
    package = name.replace("-", "_")
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    for ep, source in modules.items():
        (site / package / f"{ep}.py").write_text(textwrap.dedent(source))
    info = site / f"{package}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    eps = "".join(f"{ep} = {package}.{ep}\n" for ep in modules)
    (info / "entry_points.txt").write_text(f"[merbench]\n{eps}")


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


_HEAD = "from merbench.hookspecs import hookimpl\n"
FAULTY = {
    "badarg": _HEAD + "@hookimpl\ndef register_encoders(regster):\n    pass\n",
    "nodecorator": "def register_encoders(register):\n    pass\n",
    "badname": _HEAD + "@hookimpl\ndef register_encoder(register):\n    pass\n",
    "badfactory": _HEAD + "@hookimpl\ndef register_encoders(register):\n"
                          "    register('nocolon', 'merbench_faulty.encoder', card={'modality': 'audio', 'dim': 1})\n",
    "unimportable": _HEAD + "@hookimpl\ndef register_encoders(register):\n"
                            "    register('gone', 'merbench_faulty.missing:Enc', card={'modality': 'audio', 'dim': 1})\n",
    "nomodality": _HEAD + "@hookimpl\ndef register_encoders(register):\n"
                          "    register('anon', 'merbench_faulty.nomodality:X', card={'dim': 1})\n",
    "raises": _HEAD + "@hookimpl\ndef register_metrics(register):\n    raise RuntimeError('boom')\n",
}
#: what `merbench plugins doctor` prints for each of FAULTY
DOCTOR_LINES = [
    "failed: badarg (merbench-faulty 0.2.0): register_encoders(regster): argument 'regster' is not in the hook spec "
    "register_encoders(register) (did you mean 'register'?)",
    "failed: badfactory (merbench-faulty 0.2.0): register_encoders: encoder 'nocolon': factory must be 'module:attr', "
    "got 'merbench_faulty.encoder'",
    "failed: badname (merbench-faulty 0.2.0): unknown hook 'register_encoder' (did you mean 'register_encoders'?): "
    "merbench.hookspecs declares no such hook",
    "failed: nodecorator (merbench-faulty 0.2.0): register_encoders has no @hookimpl decorator (missing @hookimpl), "
    "so it would never be called; decorate it with merbench.hookspecs.hookimpl",
    "failed: nomodality (merbench-faulty 0.2.0): register_encoders: encoder 'anon': card lacks required field 'modality'",
    "failed: raises (merbench-faulty 0.2.0): register_metrics raised RuntimeError: boom",
    "failed: unimportable (merbench-faulty 0.2.0): register_encoders: encoder 'gone': factory "
    "'merbench_faulty.missing:Enc' is not importable: no module named 'merbench_faulty.missing'",
]


@pytest.fixture
def faulty_distribution(tmp_path):
    site = tmp_path / "site"
    _distribution(site, "merbench-faulty", "0.2.0", FAULTY)
    return site


def _merbench(args, site, **env):
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    full_env = {**os.environ, "PYTHONPATH": path, **env}
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


def test_doctor_gives_each_faulty_plugin_one_line_and_every_command_works(faulty_distribution):
    doctor = _merbench(["plugins", "doctor"], faulty_distribution, COLUMNS="100")
    assert doctor.returncode == 0, doctor.stderr
    printed = [line for line in doctor.stdout.splitlines() if line.startswith("failed: ")]
    assert sorted(printed) == DOCTOR_LINES
    listing = _merbench(["plugins", "list", "--kind", "encoder"], faulty_distribution, COLUMNS="200")
    assert listing.returncode == 0 and "log-band-energy" in listing.stdout and "egemaps" in listing.stdout
    assert "7 plugin(s) failed to load" in listing.stdout


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


# -- meta-tests (datasette's pattern): every hook has its test_hook_<name> and its docs ----------
def test_the_hook_list_is_not_empty():
    assert len(HOOK_NAMES) == 16


def test_every_kind_has_a_declaration_hook():
    assert set(KINDS.values()) <= set(HOOK_NAMES)


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook):
    assert callable(globals().get(f"test_hook_{hook}")), f"tests/test_plugins.py has no test_hook_{hook}"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented(hook):
    doc = (ROOT / "docs" / "plugin-hooks.md").read_text()
    assert f"### {hook}" in doc, f"docs/plugin-hooks.md has no section for {hook}"
    spec = getattr(hookspecs, hook)
    docstring = inspect.getdoc(spec)
    assert docstring, f"{hook} has no docstring"
    hints = typing.get_type_hints(spec, globalns=vars(hookspecs),
                                  localns=_type_checking_names())
    for arg in inspect.signature(spec).parameters:
        assert arg in hints, f"{hook}: argument {arg!r} has no type"
        assert f":param {arg}:" in docstring, f"{hook}: argument {arg!r} has no :param {arg}: line"


def _type_checking_names():
    from merbench.runner.run import RunResult
    from merbench.specs import Register

    return {"Register": Register, "RunResult": RunResult}


def test_distribution_of_names_the_distribution_whose_code_an_object_is(monkeypatch):
    """What OV records put in their identity for a describer or grouper: the registered class's
    distribution, else that of the package its registered factories live in."""
    import json

    from merbench import __version__

    manager = _manager((_Plugin("describer", "fake-describer", factory="json:JSONDecoder", card={}), "fake-describers 1.2"))
    monkeypatch.setattr(plugins, "_manager", manager)
    assert plugins.distribution_of("describer", json.JSONDecoder()) == "fake-describers 1.2"
    assert plugins.distribution_of("describer", json.JSONEncoder()) == "fake-describers 1.2"  # its package's
    assert plugins.distribution_of("grouper", plugins.create("grouper", "offline")) == f"merbench {__version__}"

    class Local:
        pass

    assert plugins.distribution_of("describer", Local()) == f"unregistered ({__name__})"
