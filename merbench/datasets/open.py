"""``open_dataset``: a dataset from a spec ("demo", "demo:standard", a path) and a layout guess."""

from __future__ import annotations

from pathlib import Path

from merbench.contracts.dataset import Dataset

#: File that marks each layout, in the order they are tried.
LAYOUT_MARKERS = (
    ("corruption.json", "corrupted"),  # first: a corrupted copy also holds the processed layout's files
    ("demo.json", "demo"),
    ("label-6way.npz", "mer-processed"),
    ("label-6way.csv", "mer-processed"),  # the pickle-free copy `merbench data convert` writes
    ("label-disdim.csv", "mer2024"),
    ("train-label.csv", "mer2023"),
    ("track1_train_disdim.csv", "mer2025"),
)
DEMO_DEFAULT_SIZE = "standard"


def demo_path(size: str = DEMO_DEFAULT_SIZE, seed: int = 0) -> Path:
    from merbench.paths import demo_dir

    return demo_dir() / f"{size}-seed{seed}"


def detect_layout(path: str | Path) -> str:
    """The registered dataset reader for ``path`` (a root folder, or a manifest CSV/JSONL file)."""
    p = Path(path).expanduser()
    if p.is_file() and p.suffix.lower() in (".csv", ".jsonl"):
        return "manifest"
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such dataset folder or manifest file; pass a MER root, a manifest .csv/.jsonl, or 'demo'")
    for marker, reader in LAYOUT_MARKERS:
        if (p / marker).is_file():
            return reader
    markers = ", ".join(m for m, _ in LAYOUT_MARKERS)
    raise ValueError(f"{p}: cannot tell the dataset layout (none of {markers} found); pass --reader NAME or a manifest file")


def open_dataset(spec: str | Path, reader: str | None = None, transcripts: str | Path | None = None, *,
                 allow_pickle: bool = False, **options) -> Dataset:
    """Open a dataset.

    ``spec`` is ``"demo"``, ``"demo:tiny"``, ``"demo:standard"`` or ``"demo:<size>:<seed>"`` (generated
    under ``paths.demo_dir()`` when missing), or a path whose layout is detected (or named by ``reader``,
    any registered dataset name). ``options`` go to the reader. ``transcripts`` (a ``merbench transcribe``
    CSV) fills subtitles the dataset lacks. ``allow_pickle=True`` lets a reader that can meet pickled
    label files (the processed layout's ``label-6way.npz``) unpickle them; other readers ignore it.
    """
    if allow_pickle:
        options["allow_pickle"] = True
    dataset = _open(spec, reader, **options)
    if transcripts is not None:
        from merbench.transcribe import TranscribedDataset

        dataset = TranscribedDataset(dataset, transcripts)
    return dataset


def _open(spec: str | Path, reader: str | None, **options) -> Dataset:
    from merbench import plugins

    text = str(spec)
    if reader is None and (text == "demo" or text.startswith("demo:")) and not Path(text).exists():
        from merbench.datasets.demo import generate

        parts = text.split(":")
        size = parts[1] if len(parts) > 1 and parts[1] else DEMO_DEFAULT_SIZE
        seed = int(parts[2]) if len(parts) > 2 else 0
        root = generate(demo_path(size, seed), size=size, seed=seed, progress=True, replace_older=True)
        return plugins.create("dataset", "demo", root=root, **options)
    reader = reader or detect_layout(spec)
    _drop_unsupported_allow_pickle(reader, options)
    return plugins.create("dataset", reader, root=Path(spec).expanduser(), **options)


def _drop_unsupported_allow_pickle(reader: str, options: dict) -> None:
    """``allow_pickle`` reaches only readers that take it (a reader that reads no pickle has nothing to allow)."""
    if "allow_pickle" not in options:
        return
    import inspect

    from merbench import plugins

    factory = plugins.get_registry().get("dataset", reader).load()
    if "allow_pickle" not in inspect.signature(factory).parameters:
        options.pop("allow_pickle")
