"""The MER-NOISE challenge recipe (docs/protocol.md "Noise"): speech babble at 5..10 dB, then blur r in {1, 2, 4}."""

from __future__ import annotations

from pathlib import Path

from merbench.contracts.dataset import Dataset

CHALLENGE_SNRS = [5, 6, 7, 8, 9, 10]
CHALLENGE_BLUR = [1, 2, 4]


def noise_bank_of(dataset: Dataset, noise_bank: str | Path | None = None) -> Path:
    """``noise_bank`` if given, else the dataset's ``noise_bank`` resource; a one-line error otherwise."""
    if noise_bank is not None:
        return Path(noise_bank).expanduser().resolve()
    bank = dataset.resources().get("noise_bank")
    if bank is None:
        raise ValueError(f"{dataset.root}: dataset has no noise_bank resource; pass a folder of speech recordings "
                         "(MUSAN speech/) with --noise-bank")
    return Path(bank)


def challenge_recipe(dataset: Dataset, noise_bank: str | Path | None = None) -> list[tuple[str, dict]]:
    """Steps that reproduce the MER-NOISE corruption on ``dataset`` (its noise bank unless one is given)."""
    bank = noise_bank_of(dataset, noise_bank)
    return [("speech-noise", {"bank": str(bank), "snr": list(CHALLENGE_SNRS)}),
            ("blur", {"r": list(CHALLENGE_BLUR)})]


def noise_test_set(dataset: Dataset, seed: int, split: str = "noise", noise_bank: str | Path | None = None,
                   out: str | Path | None = None, workers: int = 2, progress: bool = True):
    """The MER-NOISE test set of ``dataset``: its clean ``split`` corrupted with :func:`challenge_recipe`
    under ``seed`` (cached under ``$MERBENCH_CACHE/corrupted/`` unless ``out`` is given); evaluate it
    as any other split. Returns a :class:`~merbench.corrupt.dataset.CorruptedDataset`."""
    from merbench.corrupt.pipeline import corrupt_dataset

    return corrupt_dataset(dataset, split, challenge_recipe(dataset, noise_bank), seed, out,
                           workers=workers, progress=progress)


#: Named corruption recipes a track may ask for (``corruption: challenge``).
RECIPES = {"challenge": challenge_recipe}


def corruption_steps(dataset: Dataset, spec: str | list[dict], noise_bank: str | Path | None = None) -> list[tuple[str, dict]]:
    """The steps of a track's ``corruption``: a recipe name, or a list of ``{name, params}`` steps
    (a ``speech-noise`` step without a ``bank`` takes ``noise_bank`` or the dataset's)."""
    if isinstance(spec, str):
        if spec not in RECIPES:
            raise ValueError(f"unknown corruption recipe {spec!r}; known recipes: {', '.join(sorted(RECIPES))}")
        return RECIPES[spec](dataset, noise_bank)
    steps = []
    for step in spec:
        params = dict(step.get("params") or {})
        if step["name"] == "speech-noise" and not params.get("bank"):
            params["bank"] = str(noise_bank_of(dataset, noise_bank))
        steps.append((step["name"], params))
    return steps
