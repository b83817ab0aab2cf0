"""A run on imported features of a features-only layout: provenance in the record, and a submission from it."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.datasets.test_cli import write_features_only_layout


@pytest.mark.slow
def test_record_of_imported_features_names_source_and_hash_and_submits(tmp_path, monkeypatch):
    from merbench.cache import import_features
    from merbench.cache.imports import content_hash
    from merbench.datasets import open_dataset
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    names = [f"s{i}" for i in range(24)]
    pool = [f"t{i}" for i in range(8)]
    root = write_features_only_layout(tmp_path / "feats", names=names, unlabeled=pool)
    labels = root / "test-labels.csv"
    labels.write_text("name,split,discrete\n" + "".join(f"{n},semi,{'happy' if i % 2 else 'sad'}\n"
                                                       for i, n in enumerate(pool[:6])))
    dataset = open_dataset(str(root), test_labels=str(labels))
    folder = root / "features" / "feat_UTT"
    encoder = import_features(dataset, folder)
    config = {"dataset": str(root), "dataset_params": {"test_labels": str(labels)}, "encoders": {"audio": [encoder]},
              "tracks": ["semi"], "trials": 1, "seeds": [0], "epochs": 2, "unbiased": False,
              "search_space": {"hidden_dim": [8], "lr": [1e-3], "dropout": [0.2]}, "out": str(tmp_path / "out")}
    run(config, progress=False)
    path = tmp_path / "out" / "semi-attention-import_feat_UTT.json"
    record = json.loads(path.read_text())
    provenance = {"folder": str(folder.resolve()), "content_sha256": content_hash(sorted(folder.glob("*.npy")))}
    comp = next(c for c in record["components"] if c["kind"] == "encoder")
    assert comp["name"] == encoder and comp["fingerprint"] == provenance
    result = CliRunner().invoke(cli, ["submit", str(path), "--dataset", str(root), "--out", str(tmp_path / "sub.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sub.csv").read_text().splitlines()[1:] and len((tmp_path / "sub.csv").read_text().splitlines()) == len(pool) + 1
    # other content under the same name: another identity for the same row
    np.save(folder / "s0.npy", np.zeros(8, np.float32))
    import_features(dataset, folder, replace=True)
    from merbench.cache import resolve

    assert resolve(dataset, encoder).key["encoder"]["fingerprint"]["content_sha256"] != provenance["content_sha256"]
