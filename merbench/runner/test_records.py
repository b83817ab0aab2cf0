"""What a record's identity holds of its splits: labels where they are scored, the clip list everywhere."""

from dataclasses import replace
from types import SimpleNamespace

from merbench.datasets.demo.reader import DemoDataset
from merbench.runner.features import FeatureSet
from merbench.runner.records import _split_identity


class Relabelled(DemoDataset):
    """The tiny demo with every clip labelled ``sad``: published or corrected labels, the same media."""

    def sample(self, name):
        return replace(super().sample(name), label="sad")


class Shrunk(DemoDataset):
    """The tiny demo with its last unlabeled clip left out of the pool."""

    def splits(self):
        splits = dict(super().splits())
        splits["unlabeled"] = splits["unlabeled"][:-1]
        return splits


def _identities(dataset):
    sets = {"trainval": FeatureSet.of("trainval", labeled=True), "unlabeled": FeatureSet.of("unlabeled", labeled=False)}
    trainer = SimpleNamespace(sets=sets, split_features={n: SimpleNamespace(dataset=dataset, split=n) for n in sets})
    return {name: _split_identity(trainer, name) for name in sets}


def test_a_scored_split_is_identified_by_its_labels_an_unscored_one_by_its_clips(tiny_demo):
    clean, relabelled, shrunk = (_identities(cls(tiny_demo)) for cls in (DemoDataset, Relabelled, Shrunk))
    assert set(clean["trainval"]) == {"labels"} and set(clean["unlabeled"]) == {"clips"}
    assert relabelled["trainval"] != clean["trainval"], "a label fix changes what a Train&Val score means"
    assert relabelled["unlabeled"] == clean["unlabeled"], "labels of an unscored pool change no number"
    assert shrunk["unlabeled"] != clean["unlabeled"] and shrunk["trainval"] == clean["trainval"]
