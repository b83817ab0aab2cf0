"""The runner names no concrete component: every track, metric, strategy, encoder, fusion and describer
comes from the registry or the config, so a plugin can add any of them without touching the core."""

import ast
from pathlib import Path

from merbench import plugins

RUNNER = Path(__file__).parent
KINDS = ("track", "metric", "strategy", "encoder", "fusion", "describer", "protocol")


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_no_runner_module_names_a_registered_component():
    registry = plugins.get_registry()
    names = {name: kind for kind in KINDS for name in registry.names(kind)}
    modules = [p for p in sorted(RUNNER.rglob("*.py")) if not p.name.startswith("test_")]
    assert modules, "the runner has modules"
    found = [f"{p.relative_to(RUNNER)}:{line}: {value!r} is the {names[value]} {value!r}"
             for p in modules for line, value in _string_literals(p) if value in names]
    assert not found, "the runner names concrete components:\n" + "\n".join(found)


def test_the_check_catches_a_named_component(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text('METRIC = "waf"\n')
    assert (1, "waf") in _string_literals(sample) and "waf" in plugins.get_registry().names("metric")
