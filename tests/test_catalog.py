"""registry.yaml: valid against its schema, and in agreement with the registered built-ins."""

import pytest
import yaml

from merbench.catalog import CATALOG_PATH, CatalogError, catalog, load_catalog
from merbench.plugins import PluginManager


@pytest.fixture(scope="module")
def builtin_encoders():
    return PluginManager(entry_points=False).load().specs["encoder"]


def test_catalog_is_valid():
    data = catalog()
    assert len(data["encoders"]) >= 40
    assert {e["modality"] for e in data["encoders"]} == {"audio", "text", "visual"}


def test_every_builtin_card_is_registered(builtin_encoders):
    listed = {e["name"] for e in catalog()["encoders"] if e["builtin"]}
    assert sorted(listed - set(builtin_encoders)) == [], "registry.yaml lists built-ins that no built-in plugin registers"


def test_every_registered_builtin_has_a_card(builtin_encoders):
    listed = {e["name"] for e in catalog()["encoders"]}
    assert sorted(set(builtin_encoders) - listed) == [], "built-in encoders missing from registry.yaml"


def test_non_builtin_cards_are_not_registered(builtin_encoders):
    external = {e["name"] for e in catalog()["encoders"] if not e["builtin"]}
    assert not external & set(builtin_encoders)


@pytest.mark.parametrize("field", ["modality", "input_kind", "dim", "layers"])
def test_cards_agree_with_registrations(builtin_encoders, field):
    wrong = [f"{e['name']}: registry.yaml {e[field]!r}, registered card {getattr(builtin_encoders[e['name']].card, field)!r}"
             for e in catalog()["encoders"] if e["builtin"] and e[field] != getattr(builtin_encoders[e["name"]].card, field)]
    assert wrong == [], f"registry.yaml {field} differs from the registered EncoderCard"


def test_aliases_agree_with_registrations(builtin_encoders):
    wrong = [e["name"] for e in catalog()["encoders"] if e["builtin"]
             and tuple(e.get("aliases", ())) != builtin_encoders[e["name"]].card.aliases]
    assert wrong == [], "registry.yaml aliases differ from the registered EncoderCard's"
    assert builtin_encoders["chinese-hubert-large"].card.aliases == ("hubert-large",)


def test_hub_ids_agree_with_registrations(builtin_encoders):
    wrong = [e["name"] for e in catalog()["encoders"] if e["builtin"] and e["source"]["type"] == "transformers"
             and e["source"]["hub_id"] != builtin_encoders[e["name"]].card.checkpoint]
    assert wrong == [], "registry.yaml hub_id differs from the registered card's checkpoint"


def test_catalogued_plugins_provide_what_they_register():
    registry = PluginManager(entry_points=True).load()
    for entry in catalog()["plugins"]:
        registered = {(s.kind, s.name) for s in registry.all() if s.distribution.split(" ")[0] == entry["distribution"]}
        if not registered:
            continue  # not installed here (merbench-vllm needs CUDA)
        listed = {(kind, name) for kind, names in entry["provides"].items() for name in names}
        assert listed == registered, entry["distribution"]


def test_the_papers_encoders_are_all_catalogued():
    names = {e["name"] for e in catalog()["encoders"]}
    papers = {"chinese-hubert-large", "chinese-hubert-base", "chinese-wav2vec2-large", "whisper-large-v2", "egemaps",
              "is09", "is10", "vggish", "emotion2vec", "clip-large", "clip-base", "dinov2-large", "videomae-large",
              "videomae-base", "eva02-base", "baichuan-13b-base", "chatglm2-6b", "bloom-7b1", "moss-base-7b",
              "chinese-macbert-large", "chinese-roberta-wwm-ext-large", "chinese-electra-180g-large", "chinese-xlnet-base"}
    assert papers <= names


def test_a_broken_catalog_names_the_entry(tmp_path):
    data = yaml.safe_load(CATALOG_PATH.read_text())
    data["encoders"][3]["modality"] = "smell"
    bad = tmp_path / "registry.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError, match=r"encoders/3/modality"):
        load_catalog(bad)
