"""``merbench transcribe``: fill missing subtitles with ASR into a transcripts CSV."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("transcribe")
@click.argument("spec")
@click.option("--reader", default=None, help="Dataset reader name (default: detected from the layout).")
@click.option("--transcriber", default="whisper", show_default=True, help="Registered transcriber.")
@click.option("--model", default=None, help="Whisper checkpoint (CTranslate2 folder or size name) [default: bundled tiny.en].")
@click.option("--language", default=None, help="Spoken language code (default: the model's, en for tiny.en).")
@click.option("--split", "splits", multiple=True, help="Only these splits (repeatable) [default: all samples].")
@click.option("--all", "everything", is_flag=True, help="Also transcribe samples that have checked subtitles.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Transcripts CSV [default: $MERBENCH_CACHE/transcripts/<manifest hash>-<transcriber>.csv].")
def transcribe(spec: str, reader: str | None, transcriber: str, model: str | None, language: str | None,
               splits: tuple[str, ...], everything: bool, out: Path | None) -> None:
    """Transcribe clips of SPEC that have no subtitle; checked subtitles keep priority when both exist.

    Re-running resumes. A run uses the CSV through its config, `dataset_params: {transcripts: CSV}`
    (in Python: `open_dataset(spec, transcripts=CSV)`); the filled subtitles change the dataset's
    manifest hash, so its caches and records are told apart from the untranscribed dataset's.
    """
    from merbench import plugins
    from merbench.datasets import open_dataset
    from merbench.paths import cache_root
    from merbench.transcribe import transcribe_dataset

    dataset = open_dataset(spec, reader=reader)
    params = {k: v for k, v in {"model": model, "language": language}.items() if v}
    asr = plugins.create("transcriber", transcriber, **params)
    names = None
    if splits:
        names = list(dict.fromkeys(n for s in splits for n in dataset.splits().get(s, [])))
    out = out or cache_root() / "transcripts" / f"{dataset.media_hash()[:16]}-{transcriber}.csv"
    counts = transcribe_dataset(dataset, asr, out, names, missing_only=not everything, progress=True)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + f"; transcripts in {out}")
