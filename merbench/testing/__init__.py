"""Test helpers for merbench and for plugin authors.

Installing merbench registers :mod:`merbench.testing.plugin` with pytest, so a plugin's test suite gets
the fixtures (pseudo audio, faces, frames and media) and can call the conformance checks in
:mod:`merbench.testing.conformance` on its own components.
"""
