"""The command line's output: messages through ``logging`` with rich's handler, tables on a wide
console, and errors as one line (``merbench --debug ...`` shows the traceback instead)."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

import click

#: set by ``merbench --debug``: errors keep their traceback
DEBUG = {"on": False}
#: exceptions that carry a user-facing message (bad input, unknown component, failed extraction)
USER_ERRORS = (ValueError, KeyError, RuntimeError, OSError)


def setup_logging(debug: bool = False) -> None:
    """``merbench.*`` messages as rich log lines on stderr; third-party INFO chatter kept out."""
    from rich.console import Console
    from rich.logging import RichHandler

    DEBUG["on"] = debug
    if not debug:  # third-party progress bars stay out of merbench's output, which has its own progress layer:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # the hub's and transformers' ("Loading weights")
        os.environ.setdefault("TQDM_DISABLE", "1")  # plain tqdm bars, e.g. transformers' GGUF dequantisation
    logger = logging.getLogger("merbench")
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False, rich_tracebacks=debug)
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    for noisy in ("transformers", "huggingface_hub", "accelerate", "absl", "gguf"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)


def console_for_tables():
    """A console at least 150 columns wide: the papers' tables have up to 11 columns."""
    from rich.console import Console

    return Console(width=max(Console().width, 150))


def one_line(exc: BaseException) -> str:
    # a KeyError's str() is the repr of its message; take the message itself
    text = (exc.args[0] if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) else str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def errors_as_one_line() -> Iterator[None]:
    """Turn a user-facing error into ``Error: <its first line>`` (exit 1); ``--debug`` re-raises it."""
    try:
        yield
    except click.ClickException:
        raise
    except USER_ERRORS as exc:
        if DEBUG["on"]:
            raise
        raise click.ClickException(one_line(exc)) from None
