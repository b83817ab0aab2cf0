"""``merbench ov``: MER-OV from the command line (thin wrappers of :mod:`merbench.ov`).

    merbench ov describe --dataset demo --out descriptions.jsonl
    merbench ov extract descriptions.jsonl --out predictions.csv
    merbench ov score predictions.csv --dataset demo --grouper file --grouper offline
    merbench ov track --dataset demo --out runs/
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from merbench.cli.options import parse_params, results_option

PARAM_EXAMPLE = "max_new_tokens=32"


def _console():
    from rich.console import Console

    return Console()


def _report_problems(console, problems: list[str], shown: int = 10) -> None:
    from rich.markup import escape

    for line in problems[:shown]:
        console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if len(problems) > shown:
        console.print(f"[yellow]... and {len(problems) - shown} more (see --json)[/]")


dataset_option = click.option("--dataset", "dataset_spec", default="demo", show_default=True,
                              help="'demo', 'demo:tiny', 'demo:standard', or a dataset folder.")
reader_option = click.option("--reader", default=None, help="Dataset reader when the layout is not auto-detected.")
split_option = click.option("--split", default="ov", show_default=True, help="Split to describe or score.")
cache_option = click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            help="Generation cache (SQLite); default $MERBENCH_CACHE/generations.sqlite.")


@click.group()
def ov() -> None:
    """MER-OV: describe clips with an (M)LLM, extract open-vocabulary labels, group synonyms, score sets."""


@ov.command()
@dataset_option
@reader_option
@split_option
@click.option("--describer", default="smollm2", show_default=True, help="Registered describer name.")
@click.option("--param", "params", multiple=True, help="Describer parameter key=value (repeatable), e.g. model=Qwen/Qwen2-Audio-7B-Instruct.")
@click.option("--limit", type=int, default=None, help="Only the first N clips of the split.")
@click.option("--original-subtitles", is_flag=True, help="Give the model the original (Chinese) subtitle, not the English one.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Descriptions JSONL to write.")
@cache_option
def describe(dataset_spec, reader, split, describer, params, limit, original_subtitles, out, cache_path):
    """Describe each clip of the split with its input type's prompt (subtitle given)."""
    from merbench import plugins
    from merbench.datasets import open_dataset
    from merbench.ov.generation_cache import GenerationCache, describe_cached
    from merbench.ov.track import describe_requests

    console = _console()
    dataset = open_dataset(dataset_spec, reader=reader)
    samples = dataset.samples(split)[: limit if limit else None]
    model = plugins.create("describer", describer, **parse_params(params, example=PARAM_EXAMPLE))
    requests = describe_requests(model, samples, english_subtitles=not original_subtitles)
    with console.status(f"describing {len(requests)} clips with {describer}"):
        texts, stats = describe_cached(model, requests, cache=GenerationCache(cache_path) if cache_path else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for request, text in zip(requests, texts):
            fh.write(json.dumps({"name": request.name, "prompt": request.prompt, "description": text}, ensure_ascii=False) + "\n")
    rate = f", {stats.clips_per_second:.2f} clips/s" if stats.clips_per_second else ""
    console.print(f"{len(texts)} descriptions -> {out} ({stats.hits} from cache, {stats.generated} generated{rate})")


@ov.command()
@click.argument("descriptions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--extractor", default="smollm2", show_default=True, help="Registered describer used to extract labels.")
@click.option("--param", "params", multiple=True, help="Extractor parameter key=value (repeatable).")
@click.option("--max-new-tokens", type=int, default=24, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Predictions: .csv (challenge name,openset) or .jsonl.")
@cache_option
def extract(descriptions, extractor, params, max_new_tokens, out, cache_path):
    """Extract emotion labels from DESCRIPTIONS (JSONL with name and description) with the papers' prompt."""
    from merbench import plugins
    from merbench.contracts.describer import DescribeRequest
    from merbench.ov.generation_cache import GenerationCache, describe_cached
    from merbench.ov.labels import parse_labels
    from merbench.ov.prompts import extract_prompt
    from merbench.ov.scoring import write_label_file

    console = _console()
    rows = []
    for line_no, line in enumerate(descriptions.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
                rows.append((str(row["name"]), str(row["description"])))
            except (json.JSONDecodeError, KeyError, TypeError):
                raise click.ClickException(f"{descriptions}:{line_no}: expected a JSON object with 'name' and 'description'")
    params = {"max_new_tokens": max_new_tokens, **parse_params(params, example=PARAM_EXAMPLE)}
    model = plugins.create("describer", extractor, **params)
    requests = [DescribeRequest(name=name, prompt=extract_prompt(text)) for name, text in rows]
    with console.status(f"extracting labels from {len(requests)} descriptions"):
        answers, stats = describe_cached(model, requests, cache=GenerationCache(cache_path) if cache_path else None)
    labels = {r.name: parse_labels(a) for r, a in zip(requests, answers)}
    write_label_file(labels, out)
    empty = sorted(n for n, ls in labels.items() if not ls)
    console.print(f"{len(labels)} label sets -> {out} ({stats.hits} from cache, {stats.generated} generated; "
                  f"{len(empty)} empty)")


@ov.command()
@click.argument("predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Checked labels (.csv name,openset / .jsonl / .json), read like PREDICTIONS; "
                   "default: the dataset's split, as its reader parsed them.")
@dataset_option
@reader_option
@split_option
@click.option("--grouper", "groupers", multiple=True, default=("file",), show_default=True,
              help="file (the dataset's shipped grouping, or --grouping), offline, llm; repeatable.")
@click.option("--grouping", type=click.Path(exists=True, path_type=Path), default=None,
              help="Grouping file for the 'file' grouper: .json, .jsonl, or a folder/zip of <name>.npy.")
@click.option("--parse", "parse", type=click.Choice(["official", "literal"]), default="official", show_default=True,
              help="How list strings are read: 'official' exactly as the MER2024 scorer (\"don't\" -> don, t), "
                   "'literal' as Python literals. The samples the other mode scores differently are listed.")
@click.option("--json", "as_json", is_flag=True, help="Print scores, per-sample scores and problems as JSON.")
def score(predictions, truth, dataset_spec, reader, split, groupers, grouping, parse, as_json):
    """Score PREDICTIONS (.csv name,openset or .jsonl) with the MER-OV set-level metric.

    Cells are scored as written (never through the LLM-output parser); by default exactly as the
    official MER2024 scorer reads and scores them.
    """
    from merbench import plugins
    from merbench.ov.scoring import LITERAL, OFFICIAL, differing_samples, read_label_file, score_openset

    console = _console()
    other = LITERAL if parse == OFFICIAL else OFFICIAL
    modes = (parse, other)
    problems: list[str] = []
    try:
        predicted = {m: read_label_file(predictions, parse=m) for m in modes}
        problems += predicted[parse].problems
        predicted = {m: f.labels for m, f in predicted.items()}
        dataset = None
        if truth is not None:
            checked = {m: read_label_file(truth, parse=m) for m in modes}
            problems += checked[parse].problems
            true_labels = {m: f.labels for m, f in checked.items()}
        else:
            from merbench.datasets import open_dataset

            dataset = open_dataset(dataset_spec, reader=reader)
            from_dataset = {s.name: list(s.ov_labels or ()) for s in dataset.samples(split)}
            true_labels = {m: from_dataset for m in modes}
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None

    def union(mode: str) -> dict[str, list[str]]:
        return {n: list(dict.fromkeys(l.lower() for l in [*labels, *predicted[mode].get(n, [])]))
                for n, labels in true_labels[mode].items()}

    results, compared = {}, {}
    for name in groupers:
        if name == "file":
            source = grouping or (dataset.resources().get("ov_grouping") if dataset is not None else None)
            if source is None:
                raise click.UsageError("the 'file' grouper needs --grouping PATH (or a dataset that ships ov_grouping)")
            try:
                files = {m: plugins.create("grouper", "file", path=source, parse=m) for m in modes}
            except (ValueError, FileNotFoundError) as exc:
                raise click.ClickException(str(exc)) from None
            groups = {m: files[m].group(union(m)) for m in modes}
            samples = {m: files[m].samples for m in modes}
            grouper_problems = files[parse].problems
        else:  # a computed grouping depends on a sample's labels only: regroup the samples whose labels differ
            from merbench.cli.console import errors_as_one_line

            with errors_as_one_line():
                grouper = plugins.create("grouper", name)
            main, second = union(parse), union(other)
            groups = {parse: grouper.group(main)}
            grouper_problems = list(getattr(grouper, "problems", []))
            changed = {n: labels for n, labels in second.items() if labels != main.get(n)}
            groups[other] = {**groups[parse], **(grouper.group(changed) if changed else {})}
            samples = {m: None for m in modes}
        scores = {m: score_openset(true_labels[m], predicted[m], groups[m], samples=samples[m]) for m in modes}
        results[name] = scores[parse]
        results[name].problems[:0] = problems
        results[name].problems.extend(grouper_problems)
        compared[name] = (scores[other], differing_samples(scores[OFFICIAL], scores[LITERAL]))
    if as_json:
        click.echo(json.dumps({name: {**s.as_dict(), "n": s.n_scored, "parse": parse, "per_sample": s.per_sample,
                                      "problems": s.problems,
                                      "other": {"parse": other, **compared[name][0].as_dict(), "n": compared[name][0].n_scored},
                                      "differs": {n: {OFFICIAL: a, LITERAL: b} for n, (a, b) in compared[name][1].items()}}
                               for name, s in results.items()}, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"MER-OV scores of {predictions.name} (×100, --parse {parse})")
    for column in ("Grouper", "Avg", "Accuracy_s", "Recall_s", "n"):
        table.add_column(column, justify="left" if column == "Grouper" else "right")
    for name, s in results.items():
        table.add_row(name, f"{100 * s.avg:.2f}", f"{100 * s.accuracy:.2f}", f"{100 * s.recall:.2f}", str(s.n_scored))
    console.print(table)

    def cell(value) -> str:
        return "not scored" if value is None else f"accuracy {value[0]:.4f} recall {value[1]:.4f}"

    for name, (second, differs) in compared.items():
        if not differs:
            console.print(f"{name}: every sample scores the same under --parse {other}", highlight=False, soft_wrap=True)
            continue
        console.print(f"{name}: {len(differs)} sample(s) score differently under --parse {other} "
                      f"(Avg {100 * second.avg:.2f} there):", highlight=False, soft_wrap=True)
        for sample, (a, b) in differs.items():
            console.print(f"  {sample}: {OFFICIAL} {cell(a)} | {LITERAL} {cell(b)}", highlight=False, soft_wrap=True,
                          markup=False)
    _report_problems(console, next(iter(results.values())).problems)


@ov.command()
@dataset_option
@reader_option
@split_option
@click.option("--describer", default="smollm2", show_default=True, help="Registered describer; 'none' for baselines only.")
@click.option("--param", "params", multiple=True, help="Describer parameter key=value (repeatable).")
@click.option("--grouper", "groupers", multiple=True,
              help="file, offline, llm (repeatable); default: the dataset's shipped grouping if any, and offline.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Number of seeds, run as 0..K-1 (the Random baseline's draws); scores are mean ± std over them.")
@click.option("--limit", type=int, default=None, help="Only the first N clips of the split (every row on the same clips).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder of the result records (default <results>/runs/<run-id>).")
@cache_option
@results_option
def track(dataset_spec, reader, split, describer, params, groupers, seeds, limit, out, cache_path, results_root):
    """The whole MER-OV track: Empty, Random and the describer, printed as MER2024 Table 6; a result
    record per row, indexed in the results store."""
    from merbench.datasets import open_dataset
    from merbench.ov.track import format_table, run_ov_track
    from merbench.results.store import Store

    console = _console()
    dataset = open_dataset(dataset_spec, reader=reader)
    store = Store(results_root)
    store.check()
    out = out if out is not None else store.new_run_dir()
    rows = run_ov_track(dataset, describer=None if describer == "none" else describer,
                        describer_params=parse_params(params, example=PARAM_EXAMPLE),
                        grouper=list(groupers) or None, seeds=range(seeds), out=out, split=split, limit=limit,
                        cache=cache_path, progress=True)
    for row in rows:
        store.add(row["record"])
    console.print(format_table(rows))
    console.print(f"{len(rows)} records in {out} (indexed in {store.root})")
    for row in rows:
        if row.get("clips_per_second") is not None or row.get("generation"):
            gen = row["generation"]
            rate = row["clips_per_second"]
            console.print(f"{row['model']}: {gen['describe']['generated']} clips described "
                          f"({gen['describe']['hits']} from cache){f', {rate:.2f} clips/s' if rate else ''}; "
                          f"total {row['timings']['total_s']:.1f} s")
            break
    _report_problems(console, sorted({p for row in rows for p in row["problems"]}))
