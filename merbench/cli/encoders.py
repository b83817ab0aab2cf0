"""``merbench encoders``: the encoder model cards of registry.yaml, with what is installed here."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--modality", type=click.Choice(["audio", "text", "visual"]), help="Only this modality.")
@click.option("--all", "show_all", is_flag=True, help="Also list catalogued encoders no installed plugin provides.")
def encoders(modality: str | None, show_all: bool) -> None:
    """Model cards of known encoders: source, training data, language, layers, pooling, dim, licence."""
    from merbench.catalog import encoder_cards
    from merbench.plugins import get_registry

    registered = get_registry().specs["encoder"]
    cards = {c["name"]: c for c in encoder_cards(modality)}
    # Encoders from third-party plugins have no catalog entry; their own card is shown instead.
    for name, spec in registered.items():
        if name not in cards and modality in (None, spec.card.modality):
            cards[name] = {"name": name, "modality": spec.card.modality, "dim": spec.card.dim,
                           "source": {"type": "plugin", "package": spec.distribution},
                           "training_data": spec.card.training_data, "language": spec.card.language,
                           "layers": spec.card.layers, "pooling": spec.card.pooling, "licence": spec.card.licence}
    table = Table(title="merbench encoders")
    table.add_column("name", no_wrap=True)
    for column in ("modality", "dim", "source", "training data", "lang", "layers/pooling", "licence", "installed"):
        table.add_column(column, overflow="fold")
    for name in sorted(cards, key=lambda n: (cards[n]["modality"], n)):
        card = cards[name]
        installed = name in registered
        if not installed and not show_all:
            continue
        src = card["source"]
        source = src.get("hub_id") or src.get("feature_set") or src.get("package") or src["type"]
        aliases = registered[name].card.aliases if installed else card.get("aliases", ())
        label = name + (f"\n[dim]also: {', '.join(aliases)}[/]" if aliases else "")
        table.add_row(label, card["modality"], str(card["dim"]), source, card["training_data"], card["language"],
                      f"{card['layers']} / {card['pooling']}".strip(" /"), card["licence"],
                      "[green]yes[/]" if installed else "[dim]no[/]")
    Console().print(table)
