"""Command-line options shared by several commands."""

from __future__ import annotations

import click


def parse_params(pairs: tuple[str, ...], option: str = "--param", example: str = "max_frames=32") -> dict:
    """``key=value`` pairs (:func:`merbench.util.params.parse_pairs`) as click parameters."""
    from merbench.util.params import parse_pairs

    try:
        return parse_pairs(pairs, example=f"{option} {example}")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
