import jsonschema

from merbench.util.schema import first_error


def test_first_error_names_the_field_on_one_line_even_when_a_key_holds_a_newline():
    validator = jsonschema.Draft202012Validator({"type": "object", "additionalProperties": {"type": "object"}})
    message = first_error(validator, {"a\nb": None})
    assert message == "field a\\nb: None is not of type 'object'"
    assert first_error(validator, {"ok": {}}) is None


def test_an_unknown_field_gets_a_did_you_mean():
    validator = jsonschema.Draft202012Validator({"type": "object", "properties": {"epochs": {}},
                                                 "additionalProperties": False})
    assert first_error(validator, {"epoch": 3}).endswith("(did you mean 'epochs'?)")
