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


@pytest.mark.parametrize(
    "text, expected",
    [  # answers SmolLM2-135M actually gave to the papers' extraction prompt
        ("The main characters are:\n- The speaker: Excitement and Relief\n- The speaker: Excited and Relaxed",
         ["excitement", "relief", "excited", "relaxed"]),
        ("The main characters are:\n- The speaker (happy and grateful)\n- The speaker (feeling happy and grateful",
         ["happy", "grateful"]),
        ("The emotional states of the main characters are: sadness, longing, and grief.", ["sadness", "longing", "grief"]),
        ("The main characters are:\n- The speaker: Fear, Anxiety, and Uncertainty\n- The speaker's emotional state",
         ["fear", "anxiety", "uncertainty"]),
        ("The emotional states of the main characters: 1. Uncertainty (1)\n2. Fear (2)\n", ["uncertainty", "fear"]),
        ("The main characters are: \n- The speaker (A)\n- The speaker (B)", []),
    ],
)
def test_parse_labels_reads_small_model_answers(text, expected):
    assert parse_labels(text) == expected


def test_parse_labels_drops_lead_ins_and_stopwords():
    text = "The speaker feels: a mix of sadness, a hint of relief, the, a sense of adventure, relief"
    assert parse_labels(text) == ["sadness", "relief", "adventure"]


def test_connectives_left_at_label_edges_are_dropped():
    # SmolLM2 writes these; a split on "and"/"," leaves the connective behind
    text = "['anger and', 'fear of', 'emotion of loneliness', 'including guilt', 'but also pride']"
    assert parse_labels(text) == ["anger", "fear", "loneliness", "guilt", "pride"]
