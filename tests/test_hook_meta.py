"""Meta-tests: every hook spec is documented in docs/plugin-hooks.md and exercised by a test."""

import inspect
from pathlib import Path

import pytest

from merbench import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if getattr(fn, "merbench_spec", None) is not None)


def test_the_hook_list_is_not_empty():
    assert len(HOOKS) == 15


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    doc = (ROOT / "docs" / "plugin-hooks.md").read_text()
    assert f"### {hook}" in doc, f"docs/plugin-hooks.md has no section for {hook}"
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    tests = list(ROOT.glob("tests/test_*.py")) + list(ROOT.glob("merbench/**/test_*.py"))
    this = Path(__file__).resolve()
    mentioned = any(hook in p.read_text() for p in tests if p.resolve() != this)
    # Declaration hooks are also exercised kind by kind, through KINDS, by one test in tests/test_plugins.py.
    from merbench.specs import KINDS

    all_kinds_test = "def test_every_declaration_hook_registers_its_kind" in (ROOT / "tests" / "test_plugins.py").read_text()
    assert mentioned or (hook in KINDS.values() and all_kinds_test), f"no test exercises {hook}"


def test_every_kind_has_a_declaration_hook():
    from merbench.specs import KINDS

    assert set(KINDS.values()) <= set(HOOKS)
