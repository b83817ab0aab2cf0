"""``merbench demo-data``: generate the demo corpus."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo-data")
@click.option("--size", type=click.Choice(["tiny", "small", "standard"]), default="standard", show_default=True,
              help="tiny (~40 clips, for tests), small (~220 clips, for CI benchmarks) or standard (~2,100 clips).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same corpus.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: $MERBENCH_CACHE/demo/<size>-seed<seed>].")
@click.option("--workers", type=int, default=None, help="Worker processes [default: two per core].")
def demo_data(size: str, seed: int, out: Path | None, workers: int | None) -> None:
    """Generate the demo corpus: the processed layout, its raw-release twin, noise bank and OV labels."""
    import time

    from rich.console import Console

    from merbench.datasets.demo import generate
    from merbench.datasets.open import demo_path

    console = Console()
    target = out or demo_path(size, seed)
    started = time.perf_counter()
    try:
        root = generate(target, size=size, seed=seed, workers=workers, progress=True)
    except (FileExistsError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    seconds = time.perf_counter() - started
    inodes = {p.stat().st_ino: p.stat().st_size for p in root.rglob("*") if p.is_file()}  # hard links once
    console.print(f"demo corpus ({size}, seed {seed}) at [bold]{root}[/] in {seconds:.1f} s, "
                  f"{sum(inodes.values()) / 2**20:.0f} MiB on disk")
    console.print(f"next: merbench data check {root}")
