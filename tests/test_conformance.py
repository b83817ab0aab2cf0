"""Every registered component (built-in and installed plugins) passes the spec-level conformance checks,
one test per component and check: ``test_conformance[kind-name-check]`` (scikit-learn style)."""

from merbench.plugins import PluginManager
from merbench.testing.conformance import parametrize_with_checks

#: built-ins and every installed plugin (merbench-example in `make test`), loaded as `merbench` does
REGISTRY = PluginManager(entry_points=True).load()


@parametrize_with_checks(REGISTRY.all())
def test_conformance(spec, check):
    check(spec)
