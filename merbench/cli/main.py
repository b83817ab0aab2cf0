"""Entry point of the ``merbench`` command.

Sub-commands are components of kind ``command``: the group lists them from the plugin registry
and imports a command's module only when it is invoked, so ``merbench --help`` stays fast and
never imports torch.
"""

from __future__ import annotations

import click

from merbench import __version__


class PluginCommandGroup(click.Group):
    """A click group whose sub-commands come from the ``register_commands`` hook."""

    def _registry(self):
        from merbench.plugins import PluginError, get_registry

        try:
            return get_registry()
        except PluginError as exc:  # MERBENCH_STRICT_PLUGINS=1 and a plugin failed: one line, not a traceback
            raise click.ClickException(str(exc).splitlines()[0]) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._registry().names("command")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        specs = self._registry().specs["command"]
        if cmd_name not in specs:
            return None
        return specs[cmd_name].load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Summaries come from the specs, so help lists commands without importing them.
        rows = [(spec.name, spec.summary) for spec in self._registry().all("command")]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            from merbench.util.names import closest

            match = closest(args[0], self.list_commands(ctx)) if args else None
            if match:
                raise click.UsageError(f"{exc.message} Did you mean {match!r}?", ctx) from None
            raise


@click.group(cls=PluginCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="merbench")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors, and debug messages.")
def cli(debug: bool) -> None:
    """merbench: benchmark multimodal emotion recognition on the MER tracks.

    Train&Val 5-fold CV, MER-SEMI, MER-NOISE and MER-OV (MER2024), MER-MULTI (MER2023) and any
    plugin's track, over any combination of registered datasets, encoders, fusions, corruptions,
    describers and metrics.
    """
    from merbench.cli.console import setup_logging

    setup_logging(debug)


def main() -> None:
    cli(prog_name="merbench")
