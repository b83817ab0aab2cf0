import pytest

from merbench.ov.labels import parse_groups, parse_labels


@pytest.mark.parametrize(
    "text, expected",
    [
        ("['happy', 'excited']", ["happy", "excited"]),
        ('["Happy", "Excited"]', ["happy", "excited"]),
        ("happy, excited, happy", ["happy", "excited"]),
        ("[开心，难过、开心]", ["开心", "难过"]),
        ("【愤怒，失望】", ["愤怒", "失望"]),
        ("['angry', 'don't believe']", ["angry", "don't believe"]),
        ("[‘angry’, ‘don’t believe’]", ["angry", "don't believe"]),
        ("[happy, sad]", ["happy", "sad"]),
        ("", []),
        (None, []),
        ("[]", []),
        ("None", []),
        ("Output: []", []),
        ("The main character shows: anger and frustration.", ["anger", "frustration"]),
        ("```json\n[\"nervous\", \"worried\"]\n```", ["nervous", "worried"]),
        ("1. Sad\n2. lonely\n3. sad", ["sad", "lonely"]),
        ("Based on the clues I see ['calm'] but the answer is ['tense', 'anxious']", ["tense", "anxious"]),
        ("['happy, relieved']", ["happy", "relieved"]),
        ("[['happy'], ['sad']]", ["happy", "sad"]),
        ("This is a long sentence that is not a label at all, angry", ["angry"]),
    ],
)
def test_parse_labels_survives_real_llm_output(text, expected):
    assert parse_labels(text) == expected


def test_parse_groups_reads_lists_of_lists_in_any_quoting():
    assert parse_groups("[['Happy', 'joyful'], ['sad']]") == [["happy", "joyful"], ["sad"]]
    assert parse_groups('Sure! [["angry", "furious"], ["calm"]] done') == [["angry", "furious"], ["calm"]]
    assert parse_groups("[[happy, joyful], [sad]]") == [["happy", "joyful"], ["sad"]]
    assert parse_groups("no lists here") == []
