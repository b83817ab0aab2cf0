"""Build the static report: a page per result set, a leaderboard across them and an index linking them.

Layout under ``out``::

    index.html                 the result sets, linked
    leaderboard.html, img/     every record per (track, main metric, dataset), best first
    <set>/index.html, <set>/img/
                               the set's tables, protocol and departures, pictures, provenance per record

Pages are rendered with jinja2 (autoescaped) from ``templates/``; pictures are relative PNG files
(each linked to its SVG), the CSS is inline: the report needs no network and no script.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from merbench.report.sets import ReportError, ResultSet, predictions, slug
from merbench.report.tables import other_rows, score_tables
from merbench.results.tables import percent_metric
from merbench.results import plots
from merbench.results.rows import dataset_label, record_label
from merbench.results.sets import Loaded
from merbench.util.stats import mean_std

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class Picture:
    caption: str
    png: str  # relative to the page
    svg: str
    width: int
    height: int


def anchor(key: str) -> str:
    """The HTML id of a record's section."""
    return "rec-" + slug(key)


def _env():
    import jinja2

    from merbench import __version__

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals.update(anchor=anchor, merbench_version=__version__)
    return env


def _picture(paths: list[Path], page_dir: Path, caption: str) -> Picture:
    from PIL import Image

    png, svg = paths
    with Image.open(png) as image:
        width, height = image.size
    return Picture(caption, quote(png.relative_to(page_dir).as_posix()), quote(svg.relative_to(page_dir).as_posix()),
                   width, height)


def _short(value: Any, limit: int = 16) -> str:
    return str(value)[:limit] if value else "-"


def _compact(value: Any) -> str:
    return "-" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _score(record: dict[str, Any], metric: str) -> str:
    values = [run["scores"][metric] for run in record["per_seed"] if metric in run["scores"]]
    return mean_std(values, percent=percent_metric(metric))


# -- one result set ----------------------------------------------------------------------------------
def _provenance(rf: Loaded) -> list[tuple[str, str]]:
    r = rf.record
    ds, env = r["dataset"], r["environment"]
    torch = env.get("torch") or {}
    extra = r.get("extra") or {}
    protocol = r.get("protocol") or {}
    items = [
        ("file", str(rf.path)),
        ("identity hash", (r.get("identity") or {}).get("hash") or "-"),
        ("dataset", f"{ds['name']} split {ds.get('split')} at {ds.get('root', '-')}"),
        ("dataset manifest hash", ds["manifest_hash"]),
        ("corruption", _compact(ds.get("corruption"))),
        ("seeds", ", ".join(map(str, r["seeds"]))),
        ("protocol", f"{protocol.get('name', '-')} v{protocol.get('version', '-')}, "
                     f"{len(protocol.get('departures') or [])} departure(s)" if protocol else "-"),
        ("merbench", f"{r['merbench']['version']} (git {r['merbench'].get('git_sha') or 'unknown'})"),
        ("created", r["created"]),
        ("samples", f"{r['samples']['scored']} scored, {len(r['samples'].get('skipped') or [])} skipped"),
        ("predictions", f"{r['predictions']['path']} ({r['predictions']['count']} rows, "
                        f"sha256 {r['predictions']['sha256']})" if r.get("predictions") else "-"),
        ("environment", f"Python {env['python']} on {env['platform']}; CPU {env.get('cpu', '?')} x{env.get('cpu_count', '?')}; "
                        f"torch {torch.get('version', env['packages'].get('torch', '?'))} "
                        f"({torch.get('cpu_capability', '-')}, {env.get('torch_threads', '?')} threads); "
                        f"CUDA {env.get('cuda') or 'none'}"),
        ("packages", ", ".join(f"{k} {v}" for k, v in sorted(env["packages"].items()))),
        ("timings (s)", ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.get("timings", {}).items())) or "-"),
    ]
    if "chosen_params" in extra:
        items.append(("chosen trial per seed", _compact(extra["chosen_params"])))
    return items


def _components(record: dict[str, Any]) -> list[dict[str, str]]:
    return [{"kind": c["kind"], "name": c["name"], "version": c.get("version") or "-",
             "distribution": c.get("distribution") or "-", "cache_key": _short(c.get("cache_key")),
             "fingerprint": _compact(c.get("fingerprint") if "fingerprint" in c else c.get("factory"))}
            for c in record["components"]]


def _curve_metric(record: dict[str, Any]) -> str | None:
    """The metric the epoch picture shows: the main one (less ``_unbiased``) when the curves keep it."""
    keys = [k for run in record["per_seed"] for f in run.get("folds") or [] for k in (f.get("curve") or {})]
    if not keys:
        return None
    main = record["main_score"]["metric"].removesuffix("_unbiased")
    return main if main in keys else keys[0]


def _record_pictures(rf: Loaded, img: Path, page_dir: Path) -> list[Picture]:
    r, stem = rf.record, img / slug(rf.rel)
    pictures = []
    rows = [p for p in predictions(rf) if p.get("label") is not None and "pred" in p]
    if rows:
        seeds = len({p.get("seed") for p in rows})
        splits = ", ".join(dict.fromkeys(str(p.get("split")) for p in rows))
        counts = plots.confusion_counts(rows)
        where = f"{splits}, pooled over {seeds} seed(s), {len(rows)} predictions"
        pictures.append(_picture(plots.plot_confusion(counts, f"{rf.name}: {where}",
                                      Path(f"{stem}-confusion")), page_dir,
                                 f"Confusion matrix of {rf.name} ({where}): counts, and each true class's row "
                                 "normalised to 1."))
        pictures.append(_picture(plots.plot_f1(counts, f"{rf.name}: per-class F1 (pooled over seeds)",
                                      Path(f"{stem}-f1")), page_dir,
                                 f"Per-class F1 of {rf.name}, from the pooled confusion matrix; n = the class's "
                                 "labelled predictions."))
        inputs, means, n = plots.class_weight_means(rows)
        if len(inputs) > 1:
            weighting = _compact(next((c.get("fingerprint", {}).get("params", {}).get("weights")
                                       for c in r["components"] if c["kind"] == "fusion"), None))
            pictures.append(_picture(plots.plot_weights(inputs, means, n,
                                          f"{rf.name}: mean input weight per true class", Path(f"{stem}-weights")),
                                     page_dir,
                                     f"The fusion's input (modality) weights of {rf.name}, mean per true class over "
                                     f"{splits} and the seeds (weights: {weighting})."))
    metric = _curve_metric(r)
    if metric:
        series = plots.epoch_series(r, metric)
        pictures.append(_picture(plots.plot_epochs(series, metric, f"{rf.name}: validation {metric.upper()} "
                                                                          "per epoch (chosen trial)",
                                      Path(f"{stem}-epochs")), page_dir,
                                 f"Validation {metric.upper()} of the chosen trial after each epoch, per seed: mean "
                                 "over the folds, band ± std over the folds."))
    return pictures


def _leaderboards(pairs: Sequence[tuple[str, Loaded]], img: Path, page_dir: Path,
                  minimum: int) -> list[tuple[tuple[str, str, str], list[tuple[str, Loaded]], Picture | None]]:
    """Per (column label, main metric, dataset): the records, best first, and their bar picture."""
    groups: dict[tuple[str, str, str], list[tuple[str, Loaded]]] = {}
    for group, rf in pairs:
        key = (record_label(rf), rf.record["main_score"]["metric"], dataset_label(rf.record))
        groups.setdefault(key, []).append((group, rf))
    out = []
    for (label, metric, dataset), members in sorted(groups.items()):
        by_name = {(g, rf.name): rf for g, rf in members}
        entries = plots.leaderboard_entries([(g, rf.record) for g, rf in members], metric)
        ordered = [(e.group, by_name[e.group, e.label]) for e in entries]
        picture = None
        if len(entries) >= minimum:
            if len({g for g, _ in members}) > 1:
                for e in entries:
                    e.label = f"{e.group}: {e.label}"
            stem = img / slug(f"leaderboard-{label}-{metric}-{dataset}")
            picture = _picture(plots.plot_leaderboard(entries, metric, f"{label} on {dataset}: {metric.upper()}",
                                    stem), page_dir,
                               f"Leaderboard of {label} on {dataset}: {metric.upper()} mean ± std over seeds, best first.")
        out.append(((label, metric, dataset), ordered, picture))
    return out


def _protocols(records: Sequence[Loaded]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for rf in records:
        p = rf.record.get("protocol")
        if not p:
            continue
        departures = [{k: (v if isinstance(v, str) else _compact(v)) for k, v in d.items()} for d in p["departures"]]
        key = _compact([p["name"], p["version"], departures])
        groups.setdefault(key, {"name": p["name"], "version": p["version"], "departures": departures, "count": 0})
        groups[key]["count"] += 1
    return list(groups.values())


def _summary(rs: ResultSet) -> list[tuple[str, str]]:
    records = [rf.record for rf in rs.records]
    created = sorted(r["created"] for r in records)
    datasets = dict.fromkeys(f"{r['dataset']['name']} ({r['dataset']['manifest_hash'][:16]})" for r in records)
    versions = dict.fromkeys(f"{r['merbench']['version']} (git {r['merbench'].get('git_sha') or 'unknown'})"
                             for r in records)
    return [("tracks", ", ".join(dict.fromkeys(record_label(rf) for rf in rs.records))),
            ("datasets (manifest hash)", ", ".join(datasets)), ("merbench", ", ".join(versions)),
            ("created", f"{created[0]} to {created[-1]}" if created[0] != created[-1] else created[0])]


def _set_page(rs: ResultSet, page_dir: Path, env) -> None:
    img = page_dir / "img"
    records = sorted(rs.records, key=lambda rf: rf.rel)
    overview = [board[2] for board in _leaderboards([(rs.name, rf) for rf in records], img, page_dir, 2)
                if board[2] is not None]
    axes = plots.robustness_series([rf.record for rf in records])
    if axes:
        overview.append(_picture(plots.plot_robustness(axes, f"{rs.name}: main score against corruption level",
                                      img / "robustness"), page_dir,
                                 "Robustness: the main score against each corruption's level, per model row (mean, "
                                 "band ± std over seeds); dashed: the same row on the clean split."))
    tables = score_tables(records)
    other = other_rows(records)
    sections = []
    for rf in records:
        r = rf.record
        metric = r["main_score"]["metric"]
        sections.append({"anchor": anchor(rf.rel), "name": rf.name,
                         "headline": f"Track {r['track']}: {metric.upper()} {_score(r, metric)} over "
                                     f"{len(r['seeds'])} seed(s).",
                         "provenance": _provenance(rf), "components": _components(r),
                         "pictures": _record_pictures(rf, img, page_dir)})
    html = env.get_template("set.html").render(
        title=f"Result set {rs.name}", root="../", source=rs.source, summary=_summary(rs),
        protocols=_protocols(records), tables=tables + ([other] if other else []), overview=overview,
        records=sections)
    (page_dir / "index.html").write_text(html, encoding="utf-8")


# -- the report --------------------------------------------------------------------------------------
def build_report(sets: Sequence[ResultSet], out: str | Path, progress: bool = False) -> Path:
    """Write the report of ``sets`` under ``out`` (replacing an earlier report there); returns index.html."""
    from merbench.util.progress import progress_bar

    if not sets:
        raise ReportError("no result set to report; give at least one folder of records")
    out = Path(out)
    if out.exists() and not (out / "index.html").is_file() and any(out.iterdir()):
        raise ReportError(f"{out}: exists and holds no merbench report; choose an empty or new --out folder")
    for stale in (out / "img", *(p.parent for p in out.glob("*/index.html"))):
        if stale.is_dir():
            shutil.rmtree(stale)  # a report replaced: no picture of an earlier one stays behind
    out.mkdir(parents=True, exist_ok=True)
    env = _env()
    names: dict[str, ResultSet] = {}
    for rs in sets:
        s = slug(rs.name)
        while s in names or s == "img":
            s += "_"
        names[s] = rs
    index = []
    with progress_bar(requested=progress) as bar:
        task = bar.add_task("report", total=len(names))
        for s, rs in names.items():
            _set_page(rs, out / s, env)
            bar.advance(task)
            records = [rf.record for rf in rs.records]
            index.append({"name": rs.name, "href": f"{quote(s)}/index.html", "count": len(records),
                          "tracks": ", ".join(dict.fromkeys(record_label(rf) for rf in rs.records)),
                          "datasets": ", ".join(dict.fromkeys(dataset_label(r) for r in records)),
                          "created": max(r["created"] for r in records), "source": rs.source})
    _leaderboard_page(names, out, env)
    (out / "index.html").write_text(env.get_template("index.html").render(
        title="merbench report", root="", sets=index), encoding="utf-8")
    return out / "index.html"


def _leaderboard_page(names: dict[str, ResultSet], out: Path, env) -> None:
    href_of = {id(rs): quote(s) for s, rs in names.items()}
    pairs = [(rs.name, rf) for rs in names.values() for rf in rs.records]
    set_of = {id(rf): rs for rs in names.values() for rf in rs.records}
    boards = []
    # the boards with most records first (what is compared across sets), a bar picture where two or more
    for (label, metric, dataset), ordered, picture in sorted(_leaderboards(pairs, out / "img", out, 2),
                                                             key=lambda board: (-len(board[1]), board[0])):
        entries = []
        for group, rf in ordered:
            base = href_of[id(set_of[id(rf)])]
            entries.append({"set": group, "set_href": f"{base}/index.html", "href": f"{base}/index.html#{anchor(rf.rel)}",
                            "name": rf.name, "score": _score(rf.record, metric), "seeds": len(rf.record["seeds"]),
                            "manifest": rf.record["dataset"]["manifest_hash"][:16],
                            "identity": _short((rf.record.get("identity") or {}).get("hash"))})
        boards.append({"title": f"{label} on {dataset}: {metric.upper()}", "anchor": slug(f"{label}-{metric}-{dataset}"),
                       "heading": f"{metric.upper()} (mean±std)", "entries": entries, "picture": picture})
    html = env.get_template("leaderboard.html").render(title="Leaderboard", root="", sets=list(names.values()),
                                                       boards=boards)
    (out / "leaderboard.html").write_text(html, encoding="utf-8")


def result_sets(refs: Iterable[str | Path] = (), results: str | Path | None = None) -> list[ResultSet]:
    """One result set per ref: a folder or file of records, or a run id or record of the results store at
    ``results`` (:meth:`~merbench.results.store.Store.locate`). No ref: one per run of the store, oldest first."""
    from merbench.report.sets import load_set
    from merbench.results.store import Store

    store = Store(results)
    refs = list(refs)
    if refs:
        return [load_set(store.locate(str(ref))) for ref in refs]
    runs = store.runs() if store.index.is_file() else []
    if not runs:
        raise ReportError(f"{store.root}: the results store holds no run; give folders of records, or the store "
                          "with --results")
    return [load_set(store.locate(run.run), name=run.run) for run in runs]
