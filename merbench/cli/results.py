"""``merbench results``: the results store (:mod:`merbench.results.store`) and its records.

``ls``, ``show``, ``rm``, ``import`` and ``reindex`` are thin wrappers of :class:`merbench.results.store.Store`;
``diff`` names why two records differ; ``export`` (:mod:`merbench.cli.export`) writes their tables as
CSV, Markdown or LaTeX; ``compare`` (:mod:`merbench.cli.compare`) compares two result sets metric by metric
(the regression gate). Other modules add their commands to the :func:`results` group.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from merbench.cli.options import results_option


@click.group("results")
def results() -> None:
    """The results store (records of every run, indexed): ls, show, rm, import, reindex; diff two records."""


def filter_options(command):
    """``--track/--encoder/--dataset/--since/--run``: the filters of :meth:`merbench.results.store.Store.select`."""
    for option in reversed((
        click.option("--track", help="Records of this track."),
        click.option("--encoder", help="Records with this encoder among theirs."),
        click.option("--dataset", help="Records of this dataset (its name, as `results ls` shows it)."),
        click.option("--since", help="Records created on or after this date (2025-01-31, or 2025-01-31T14:00)."),
        click.option("--run", "run_id", help="Records of this run (its folder name under runs/ or imported/)."),
    )):
        command = option(command)
    return command


def _filters(track, encoder, dataset, since, run_id) -> dict:
    return {"track": track, "encoder": _registered_name(encoder), "dataset": dataset, "since": since, "run": run_id}


def _registered_name(encoder: str | None) -> str | None:
    """The name records hold for ``encoder``: an alias (``hubert-large``) becomes its registered name;
    any other name (an unregistered plugin's, ``import:...``) is matched as given."""
    if encoder is None:
        return None
    from merbench import plugins

    try:
        return plugins.get_registry().canonical("encoder", encoder)
    except plugins.UnknownComponentError:
        return encoder


def _warn(line: str) -> None:
    click.echo(f"warning: {line}", err=True)


def _local(created: str) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


@results.command("ls")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (one object per record).")
@results_option
def ls(track, encoder, dataset, since, run_id, as_json, results_root):
    """List the store's records, oldest first.

    Each with its run, date, track, dataset, protocol, components and main metric (mean ± std over seeds).
    A record file that became corrupt is named and skipped, and one indexed but gone from disk is named
    as missing (`merbench results reindex` drops it); neither changes the exit status.
    """
    from rich.table import Table

    from merbench.cli.console import console_for_tables, errors_as_one_line
    from merbench.results.store import Store, score_text

    with errors_as_one_line():
        store = Store(results_root)
        listing = store.entries(**_filters(track, encoder, dataset, since, run_id))
    for path, why in listing.corrupt:
        _warn(f"{path}: {why}; skipped (`merbench results rm {path}` removes it)")
    for path in listing.missing:
        _warn(f"{path}: indexed but missing on disk; `merbench results reindex` drops it")
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in listing], indent=1, ensure_ascii=False))
        return
    headings = ("Run", "Date", "Track", "Name", "Dataset", "Protocol", "Components", "Main metric")
    rows = [(e.run, _local(e.created), e.track, e.name, e.dataset or "-",
             f"{e.protocol} v{e.protocol_version}" if e.protocol else "-", e.components or "-",
             f"{e.metric.upper()} {score_text(e.metric, e.mean, e.std, e.n)}") for e in listing]
    table = Table(title=f"{len(listing)} record(s) in {store.root}", title_justify="left")
    for column in headings:
        table.add_column(column, justify="right" if column == "Main metric" else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console = console_for_tables()
    # every cell on one line: the table is as wide as its widest cells (a pager or a wide terminal shows it)
    console.width = max(console.width, 1 + sum(3 + max(len(c) for c in column) for column in zip(headings, *rows)))
    console.print(table)


@results.command("show")
@click.argument("ref")
@results_option
def show(ref, results_root):
    """Summarise one record.

    Scores per metric, components with versions and cache keys, protocol departures, identity hash.
    REF is a record file, a record name, RUN/NAME or an identity-hash prefix."""
    from merbench.cli.console import console_for_tables, errors_as_one_line
    from merbench.results.record import read_record
    from merbench.results.store import Store

    with errors_as_one_line():
        store = Store(results_root)
        path = Path(ref).expanduser()
        if path.is_file():  # any record file, in the store or not
            record = read_record(path)
            entry = store.get(path) if store.index.is_file() else None
        else:
            entry = store.find(ref)
            record = entry.record()
            path = entry.path
    _print_record(console_for_tables(), record, path.resolve(), entry.run if entry else None)


def _print_record(console, record: dict, path: Path, run: str | None) -> None:
    from types import SimpleNamespace

    from rich.markup import escape
    from rich.table import Table

    from merbench.results.store import score_text
    from merbench.runner.report import departure_lines

    ds, protocol, identity = record["dataset"], record.get("protocol"), record.get("identity")
    lines = [
        f"[bold]{escape(record.get('name') or record['track'])}[/] (track {escape(record['track'])}, "
        f"run {escape(run) if run else 'not in the store'})",
        f"file      {escape(str(path))}",
        f"created   {record['created']}, merbench {record['merbench']['version']}",
        f"dataset   {escape(ds['name'])}, split {ds.get('split') or '-'}, manifest {ds['manifest_hash']}, "
        f"corruption {escape(json.dumps(ds['corruption'])) if ds.get('corruption') else 'none'}",
        f"seeds     {', '.join(map(str, record['seeds']))}",
        f"identity  {identity['hash'] if identity else '(none recorded)'}",
    ]
    if protocol:
        departures = departure_lines(SimpleNamespace(departures=protocol["departures"]))
        lines.append(f"protocol  {escape(protocol['name'])} v{protocol['version']}; departures: "
                     f"{len(departures) or 'none'}")
        lines += [f"  - {escape(line)}" for line in departures]
    else:
        lines.append("protocol  (none recorded)")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
    main = record["main_score"]["metric"]
    console.print("scores (mean ± std over seeds; * the main metric)")
    scores = Table()
    for column in ("metric", "mean ± std", "stderr", "n"):
        scores.add_column(column, justify="left" if column == "metric" else "right")
    for metric, s in record["scores"].items():
        scores.add_row(metric + (" *" if metric == main else ""), score_text(metric, s["mean"], s["std"], 2),
                       score_text(metric, s["stderr"], 0.0, 1), str(s["n"]))
    console.print(scores)
    console.print("components")
    components = Table()
    for column in ("kind", "name", "version", "distribution", "cache keys"):
        components.add_column(column)
    for c in record["components"]:
        keys = c.get("cache_keys") or ({"": c["cache_key"]} if c.get("cache_key") else {})
        components.add_row(c["kind"], c["name"], c.get("version") or "-", c.get("distribution") or "-",
                           "\n".join(f"{split}: {key}" if split else key for split, key in keys.items()) or "-")
    console.print(components)
    predictions = record.get("predictions")
    if predictions:
        console.print(f"predictions {escape(predictions['path'])} ({predictions['count']} rows)", highlight=False)


@results.command("rm")
@click.argument("refs", nargs=-1)
@filter_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@results_option
def rm(refs, track, encoder, dataset, since, run_id, yes, results_root):
    """Delete records, their predictions and their index rows.

    Those named by REFs (paths, names, RUN/NAME or identity-hash prefixes) that match the filters, or
    every record matching the filters; never all of them without one."""
    from merbench.cli.console import errors_as_one_line
    from merbench.results.store import Store

    with errors_as_one_line():
        store = Store(results_root)
        chosen = store.choose(refs, **_filters(track, encoder, dataset, since, run_id))
    if not chosen:
        raise click.ClickException("no record matches; `merbench results ls` lists them")
    if not yes:
        shown = ", ".join(e.ref for e in chosen[:10]) + (f" and {len(chosen) - 10} more" if len(chosen) > 10 else "")
        click.confirm(f"delete {len(chosen)} record(s) and their predictions ({shown})?", abort=True)
    with errors_as_one_line():
        deleted = store.remove(chosen)
    click.echo(f"removed {len(chosen)} record(s) ({len(deleted)} file(s) deleted)")


@results.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@results_option
def import_(folder, results_root):
    """Copy records made elsewhere into the store.

    The records under FOLDER (recursively, with their predictions) go to <results>/imported/<name>/
    and into the index. Each corrupt or foreign JSON file is named in a warning and skipped; JSON files that are
    not records at all (demo.json, configs) are counted and named once. Exit 1 when nothing was imported."""
    from merbench.cli.console import errors_as_one_line
    from merbench.results.store import Store

    with errors_as_one_line():
        report = Store(results_root).import_dir(folder)
    for path, why in report.skipped:
        _warn(f"{path}: {why}; skipped")
    for note in report.notes:
        _warn(note)
    if report.not_records:
        names = ", ".join(str(p) for p in report.not_records[:5])
        more = f" and {len(report.not_records) - 5} more" if len(report.not_records) > 5 else ""
        click.echo(f"left out {len(report.not_records)} JSON file(s) that are not result records: {names}{more}")
    where = f" into {report.folder}" if report.folder else ""
    click.echo(f"imported {len(report.imported)} record(s){where}; {len(report.already)} already in the store, "
               f"{len(report.skipped)} skipped")
    if not report.imported and not report.already:
        raise click.ClickException(f"no record imported from {folder}")


@results.command("reindex")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False))
@results_option
def reindex(folders, results_root):
    """Repair the index.

    Drop the rows of record files gone from disk, re-read files that changed, and index the records
    under the store and under FOLDERS (in place, by absolute path) that it lacks."""
    from merbench.cli.console import errors_as_one_line
    from merbench.results.store import Store

    with errors_as_one_line():
        store = Store(results_root)
        report = store.reindex(*folders)
    for path, why in report.corrupt:
        _warn(f"{path}: {why}; skipped")
    for path in report.dropped:
        click.echo(f"dropped {path} (gone from disk)")
    click.echo(f"index of {store.root}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.dropped)} dropped, {len(report.corrupt)} corrupt")


@results.command("diff")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
def diff(a: str, b: str) -> None:
    """Name what differs between the identities of records A and B (`path: A's value → B's value`),
    then between their environments (`environment.torch.cpu_capability: AVX512 → AVX2`: what they
    were computed with, which can change the last digits).

    Exits 0 with "same identity" when they were computed the same way (whatever their environments),
    1 when they differ, 2 when a record cannot be read.
    """
    from merbench.results.diff import SAME, environment_lines, explain
    from merbench.results.record import RecordError, read_record

    try:
        ra, rb = read_record(a), read_record(b)
        lines = explain(ra, rb)
    except (RecordError, ValueError) as exc:
        error = click.ClickException(str(exc))
        error.exit_code = 2
        raise error from None
    for line in lines + environment_lines(ra, rb):
        click.echo(line)
    if lines != [SAME]:
        raise SystemExit(1)


from merbench.cli.export import export  # noqa: E402  (its own module; imports only click at the top)

results.add_command(export)
from merbench.cli.compare import compare as _compare  # noqa: E402  (its own module: one command per file)

results.add_command(_compare)
