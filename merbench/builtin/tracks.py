"""Built-in tracks and protocol presets: every YAML file of ``merbench/tracks/`` and ``merbench/protocols/``."""

from pathlib import Path

from merbench.hookspecs import hookimpl

PACKAGE = Path(__file__).resolve().parent.parent


def _first_comment(path: Path) -> str:
    """The first sentence of the file's leading comment: its summary in `merbench plugins list`."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines).split(". ")[0].rstrip(".") + "."


@hookimpl
def register_tracks(register):
    for path in sorted((PACKAGE / "tracks").glob("*.yaml")):
        register(path.stem, "merbench.contracts.track:load_track", summary=_first_comment(path),
                 defaults={"path": str(path)})


@hookimpl
def register_protocols(register):
    for path in sorted((PACKAGE / "protocols").glob("*.yaml")):
        register(path.stem, "merbench.contracts.protocol:load_protocol", summary=_first_comment(path),
                 defaults={"path": str(path)})
