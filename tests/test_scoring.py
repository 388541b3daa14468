"""Scorers against hand-checked answers, built from `[scorer]` tables as users write them."""

import random
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError

from advisor.errors import InputError
from advisor.scoring import (
    JudgeScorer,
    LocalScorer,
    ScorerConfig,
    build_scorer,
    normalize,
)
from advisor.scoring._metrics import label_metrics

CONFIG = TypeAdapter(ScorerConfig)


def scorer_from(toml: str, base_dir: Path = Path()) -> LocalScorer | JudgeScorer:
    """Build a scorer from the body of a study's `[scorer]` table."""
    return build_scorer(CONFIG.validate_python(tomllib.loads(toml)), base_dir=base_dir)


def local(toml: str, base_dir: Path = Path()) -> LocalScorer:
    scorer = scorer_from(toml, base_dir)
    assert isinstance(scorer, LocalScorer)
    return scorer


def judge(toml: str, base_dir: Path = Path()) -> JudgeScorer:
    scorer = scorer_from(toml, base_dir)
    assert isinstance(scorer, JudgeScorer)
    return scorer


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ('  **"Paris."**  ', "paris"),
        ("\u00abHello,\n\t  World!\u00bb", "hello, world"),
        ("(B)", "b"),
        ("Straße", "strasse"),
        ("...", ""),
    ],
)
def test_normalize(text, normalized):
    assert normalize(text) == normalized


# -- exact, normalized, contains, regex ----------------------------------------------------------


def test_exact_forgives_only_surrounding_whitespace():
    scorer = local('type = "exact"')
    assert scorer.score(" Paris\n", "Paris") == 1.0
    assert scorer.score("paris", "Paris") == 0.0
    assert scorer.score("42", 42) == 1.0  # a non-string expected value is compared as JSON text
    assert (scorer.primary_metric, scorer.pass_fail) == ("accuracy", True)


def test_normalized_ignores_case_spacing_and_punctuation():
    scorer = local('type = "normalized"')
    assert scorer.score('**"New   York."**', "new york") == 1.0
    assert scorer.score("New York City", "new york") == 0.0


def test_contains_looks_for_the_expected_text_in_the_answer():
    scorer = local('type = "contains"')
    assert scorer.score("The capital is PARIS, France.", "Paris.") == 1.0
    assert scorer.score("London", "Paris") == 0.0
    with pytest.raises(InputError, match="empty"):
        scorer.check_expected(" . ")


def test_regex_searches_the_configured_pattern_in_the_stripped_output():
    scorer = local(r"""type = "regex"
pattern = '\A\d{3}-\d{4}\Z'""")
    assert scorer.score(" 555-1234\n", "ignored") == 1.0
    assert scorer.score("call 555-1234", "ignored") == 0.0


def test_regex_without_pattern_uses_the_expected_value():
    scorer = local('type = "regex"')
    assert scorer.score("It is blue.", r"\bblue\b") == 1.0
    assert scorer.score("It is blueish.", r"\bblue\b") == 0.0
    with pytest.raises(InputError, match="pattern"):
        scorer.check_expected("(unclosed")


def test_regex_config_rejects_an_invalid_pattern():
    with pytest.raises(ValidationError, match="invalid regular expression"):
        CONFIG.validate_python({"type": "regex", "pattern": "(unclosed"})


# -- numeric ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected", "score"),
    [
        ("The total is $1,234.50.", 1234.5, 1.0),
        ("1234.5", "1,234.5", 1.0),
        ("-3 degrees, then 5", -3, 1.0),
        ("Step 1: add. Result: 42", 42, 0.0),  # the first number counts
        ("6.02e23 atoms", 6.02e23, 1.0),
        ("12,34", 12, 1.0),  # not a thousands separator
        (".5", 0.5, 1.0),
        ("no idea", 5, 0.0),
    ],
)
def test_numeric_reads_the_first_number(output, expected, score):
    assert local('type = "numeric"').score(output, expected) == score


def test_numeric_tolerances():
    absolute = local('type = "numeric"\nabs_tol = 0.05')
    assert absolute.score("about 3.1", 3.14) == 1.0
    assert absolute.score("about 3.0", 3.14) == 0.0
    relative = local('type = "numeric"\nrel_tol = 0.01')
    assert relative.score("995", 1000) == 1.0  # 5 <= 0.01 x 1000
    assert relative.score("989", 1000) == 0.0


def test_numeric_counts_answers_without_a_number_as_invalid():
    scorer = local('type = "numeric"')
    outputs = ["41", "no idea", "42"]
    scores = [scorer.score(output, 42) for output in outputs]
    metrics = scorer.aggregate(outputs, [42, 42, 42], scores)
    assert metrics.primary.value == pytest.approx(1 / 3)
    assert (metrics.n, metrics.invalid, metrics.errors) == (3, 1, 0)
    with pytest.raises(InputError, match="not a number"):
        scorer.check_expected("n/a")


# -- label -----------------------------------------------------------------------------------

LABELS = 'type = "label"\nlabels = ["positive", "negative", "neutral", "mixed"]'


def test_label_metrics_match_a_hand_computed_confusion_matrix():
    scorer = local(LABELS)
    expected = ["positive", "positive", "positive", "negative", "negative", "neutral"]
    outputs = ["Positive", "positive.", "negative", "NEGATIVE", "not sure", "positive"]
    scores = [scorer.score(o, e) for o, e in zip(outputs, expected, strict=True)]
    assert scores == [1, 1, 0, 1, 0, 0]

    metrics = scorer.aggregate(outputs, expected, scores)

    assert (metrics.primary.name, metrics.primary.value) == ("accuracy", 0.5)
    assert metrics.invalid == 1
    table = metrics.labels
    assert table is not None
    assert table.labels == ("positive", "negative", "neutral", "mixed")
    # Rows expected, columns answered; "not sure" (invalid) is in no column.
    assert table.confusion == ((2, 1, 0, 0), (0, 1, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0))
    rows = {c.label: (c.precision, c.recall, c.f1, c.support) for c in table.per_class}
    assert rows["positive"] == pytest.approx((2 / 3, 2 / 3, 2 / 3, 3))
    assert rows["negative"] == pytest.approx((1 / 2, 1 / 2, 1 / 2, 2))
    assert rows["neutral"] == (0.0, 0.0, 0.0, 1)
    assert rows["mixed"] == (0.0, 0.0, 0.0, 0)
    # "mixed" is neither expected nor answered, so it is left out of the mean.
    assert metrics.others["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
@pytest.mark.parametrize("seed", range(20))
def test_label_metrics_equal_scikit_learns(seed):
    """The hand-written arithmetic is scikit-learn's, bit for bit, invalid outputs and labels
    nobody expected or answered included."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    rng = random.Random(seed)
    size = rng.randint(1, 6)
    n = rng.randint(1, 60)
    expected = [rng.randrange(size) for _ in range(n)]
    predicted = [rng.randrange(-1, size) for _ in range(n)]
    names = [f"label{i}" for i in range(size)]

    table = label_metrics(expected, predicted, names)

    indices = list(range(size))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=indices, average=None, zero_division=0
    )
    assert [(c.precision, c.recall, c.f1, c.support) for c in table.per_class] == [
        (float(p), float(r), float(f), int(s))
        for p, r, f, s in zip(precision, recall, f1, support, strict=True)
    ]
    assert table.confusion == tuple(
        tuple(int(v) for v in row) for row in confusion_matrix(expected, predicted, labels=indices)
    )


def test_labels_default_to_the_expected_values_first_spelling_kept():
    scorer = local('type = "label"')
    expected = ["Spam", "ham", "spam", "ham"]
    outputs = ["spam", "HAM", "eggs", "spam"]
    scores = [scorer.score(o, e) for o, e in zip(outputs, expected, strict=True)]
    metrics = scorer.aggregate(outputs, expected, scores)
    assert metrics.labels is not None
    assert metrics.labels.labels == ("ham", "Spam")
    assert metrics.labels.confusion == ((1, 1), (0, 1))
    assert (metrics.primary.value, metrics.invalid) == (0.5, 1)


def test_label_config_errors():
    with pytest.raises(InputError, match="not one of positive, negative"):
        local(LABELS).check_expected("angry")
    with pytest.raises(ValidationError, match="same once normalized"):
        CONFIG.validate_python({"type": "label", "labels": ["Yes", "yes."]})


# -- json ------------------------------------------------------------------------------------

PERSON = {"name": "Ada Lovelace", "year": 1815, "city": "London"}


def test_json_gives_partial_credit_per_field():
    scorer = local('type = "json"')
    output = '```json\n{"name": "ada  lovelace", "year": 1815.0, "city": "Paris"}\n```'
    assert scorer.score(output, PERSON) == pytest.approx(0.6667, abs=1e-4)
    assert scorer.score('{"name": "Ada Lovelace"}', PERSON) == pytest.approx(1 / 3)
    assert scorer.score("I don't know", PERSON) == 0.0
    assert scorer.score("[1, 2]", PERSON) == 0.0
    assert (scorer.primary_metric, scorer.pass_fail) == ("mean_field_score", False)


def test_json_fields_tolerance_and_expected_as_text():
    scorer = local('type = "json"\nfields = ["name", "year"]\nabs_tol = 1')
    output = '{"name": "Ada Lovelace", "year": 1816, "city": "Paris"}'
    assert scorer.score(output, '{"name": "Ada Lovelace", "year": 1815, "city": "London"}') == 1.0
    with pytest.raises(InputError, match="lacks fields"):
        scorer.check_expected({"name": "Ada"})
    with pytest.raises(InputError, match="not a JSON object"):
        scorer.check_expected("Ada Lovelace")


def test_json_compares_nested_values_by_type():
    scorer = local('type = "json"')
    expected = {"ok": True, "tags": ["A", "b"], "where": {"x": 1}}
    assert scorer.score('{"ok": true, "tags": ["a", "B"], "where": {"x": 1.0}}', expected) == 1.0
    assert scorer.score('{"ok": 1, "tags": ["a"], "where": {"x": 1, "y": 2}}', expected) == 0.0


def test_json_metrics():
    scorer = local('type = "json"')
    outputs = [
        '{"name": "Ada Lovelace", "year": 1815, "city": "London"}',
        '{"name": "Ada Lovelace", "year": 1815, "city": "Paris"}',
        "not json",
    ]
    scores = [scorer.score(output, PERSON) for output in outputs]
    metrics = scorer.aggregate(outputs, [PERSON] * 3, scores)
    assert metrics.primary.value == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert metrics.others == {"all_fields_correct": pytest.approx(1 / 3)}
    assert metrics.invalid == 1


# -- aggregate conventions -------------------------------------------------------------------


def test_failed_examples_are_excluded_and_counted():
    scorer = local('type = "exact"')
    metrics = scorer.aggregate(["a", None, "b", "c"], ["a", "a", "a", "c"], [1.0, 0.0, 0.0, None])
    assert (metrics.primary.value, metrics.n, metrics.errors) == (0.5, 2, 2)


def test_aggregate_with_nothing_scored_has_no_value():
    metrics = local(LABELS).aggregate([None], ["positive"], [None])
    assert (metrics.primary.value, metrics.n, metrics.errors, metrics.labels) == (None, 0, 1, None)
    assert local('type = "exact"').aggregate([], [], []).primary.value is None


def test_aggregate_rejects_misaligned_lists():
    with pytest.raises(ValueError):
        local('type = "exact"').aggregate(["a"], ["a", "b"], [1.0])


# -- custom ----------------------------------------------------------------------------------

MODULE = """\
def overlap(output, expected, example):
    words, wanted = set(output.split()), set(expected.split())
    return len(words & wanted) / len(wanted)

def same_id(output, expected, example):
    return output == example.id

def half(output, expected, example):
    return 0.5

def too_big(output, expected, example):
    return 2

def boom(output, expected, example):
    raise KeyError("gold")

def two_args(output, expected):
    return 1.0

NOT_CALLABLE = 3
"""


@pytest.fixture
def study_dir(tmp_path, monkeypatch):
    """A study folder holding `team_scorers.py`, imported fresh by each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "team_scorers.py").write_text(MODULE)
    (tmp_path / "broken_scorers.py").write_text("def f(:\n")
    yield tmp_path
    sys.modules.pop("team_scorers", None)


def test_custom_function_from_the_study_folder(study_dir):
    scorer = local('type = "custom"\nfunction = "team_scorers:overlap"', study_dir)
    assert scorer.score("red green", "red blue green yellow") == 0.5
    assert (scorer.primary_metric, scorer.pass_fail) == ("mean_score", False)


def test_custom_function_gets_the_example_and_may_return_a_bool(study_dir):
    toml = """
        type = "custom"
        function = "team_scorers:same_id"
        metric = "id_match"
        pass_fail = true
    """
    scorer = local(textwrap.dedent(toml), study_dir)
    assert scorer.score("ex-1", None, SimpleNamespace(id="ex-1")) == 1.0
    assert scorer.score("ex-2", None, SimpleNamespace(id="ex-1")) == 0.0
    assert (scorer.primary_metric, scorer.pass_fail) == ("id_match", True)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("no_such_module:f", "cannot import no_such_module"),
        ("broken_scorers:f", "cannot import broken_scorers"),
        ("team_scorers:missing", "team_scorers has no attribute missing"),
        ("team_scorers:NOT_CALLABLE", "NOT_CALLABLE is not callable"),
        ("team_scorers:two_args", r"must accept \(output, expected, example\)"),
    ],
)
def test_bad_custom_function_references(study_dir, function, message):
    with pytest.raises(InputError, match=f"custom scorer {function}: {message}") as caught:
        local(f'type = "custom"\nfunction = "{function}"', study_dir)
    assert "\n" not in str(caught.value)


def test_custom_function_reference_needs_a_colon():
    with pytest.raises(ValidationError, match="function"):
        CONFIG.validate_python({"type": "custom", "function": "team_scorers.overlap"})


def test_custom_function_failures_name_the_example(study_dir):
    scorer = local('type = "custom"\nfunction = "team_scorers:boom"', study_dir)
    with pytest.raises(InputError, match="team_scorers:boom on example ex-7 raised KeyError"):
        scorer.score("output", "x", SimpleNamespace(id="ex-7"))


@pytest.mark.parametrize(
    ("function", "pass_fail", "message"),
    [
        ("too_big", "false", "returned 2, not a bool"),
        ("boom", "false", "raised KeyError"),
        ("half", "true", "returned 0.5, but pass_fail is set"),
    ],
)
def test_custom_function_failures_name_the_function(study_dir, function, pass_fail, message):
    toml = f'type = "custom"\nfunction = "team_scorers:{function}"\npass_fail = {pass_fail}'
    scorer = local(toml, study_dir)
    where = f"team_scorers:{function} on expected 'x'"
    with pytest.raises(InputError, match=f"{where} {message}"):
        scorer.score("output", "x")


# -- judge -----------------------------------------------------------------------------------

JUDGE = 'type = "judge"\nmodel = "gpt-4o-mini"'


def test_default_judge_prompt_has_reference_and_answer_lines():
    scorer = judge(JUDGE)
    inputs = {"question": "What is 2 + 2?\nAnswer: 5, says the trick question."}
    messages = scorer.judge_messages(inputs, 4, "The answer is 4.")
    assert [m["role"] for m in messages] == ["user"]
    lines = messages[0]["content"].splitlines()
    # Only our two lines start with the markers, so a regex finds them, never the inputs' text.
    assert [line for line in lines if line.startswith(("Reference: ", "Answer: "))] == [
        "Reference: 4",
        "Answer: The answer is 4.",
    ]
    assert "    What is 2 + 2?" in lines
    assert "CORRECT or INCORRECT" in lines[-1]
    assert (scorer.primary_metric, scorer.pass_fail) == ("judge_accuracy", True)


def test_judge_config_reaches_the_runner():
    scorer = judge(JUDGE + '\nbase_url = "http://127.0.0.1:8000/v1"\nmax_tokens = 64')
    assert scorer.config.model == "gpt-4o-mini"
    assert (scorer.config.provider, scorer.config.api_key_env) == ("openai", "OPENAI_API_KEY")
    assert (scorer.config.base_url, scorer.config.max_tokens) == ("http://127.0.0.1:8000/v1", 64)


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("CORRECT", 1.0),
        ("incorrect", 0.0),
        ("**Correct.** The answer matches.", 1.0),
        ("PASS", 1.0),
        ("fail", 0.0),
        ("Yes", 1.0),
        ("no", 0.0),
        ("1", 1.0),
        ("0\n", 0.0),
    ],
)
def test_parse_reply(reply, score):
    assert judge(JUDGE).parse_reply(reply) == score


@pytest.mark.parametrize("reply", ["", "The answer is correct", "maybe", "0.5"])
def test_parse_reply_rejects_anything_else(reply):
    with pytest.raises(ValueError, match="not CORRECT or INCORRECT"):
        judge(JUDGE).parse_reply(reply)


def test_judge_template_from_the_study_folder(tmp_path):
    (tmp_path / "judge.j2").write_text(
        "Question: {{ inputs.question }}\nReference: {{ expected }}\nAnswer: {{ output }}\n"
    )
    scorer = judge(JUDGE + '\ntemplate = "judge.j2"', tmp_path)
    [message] = scorer.judge_messages({"question": "Capital of France?"}, "Paris", "Lyon")
    assert message["content"] == "Question: Capital of France?\nReference: Paris\nAnswer: Lyon"
    with pytest.raises(InputError, match=re.escape("judge.j2: 'dict object' has no attribute")):
        scorer.judge_messages({}, "Paris", "Lyon")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Reference: {{ reference }}\n", "unknown variable reference"),
        ("Reference: {{ expected }}\nAnswer: {{ output | }}\n", "judge.j2, line 2: expected token"),
    ],
)
def test_bad_judge_templates(tmp_path, source, message):
    (tmp_path / "judge.j2").write_text(source)
    with pytest.raises(InputError, match=message):
        judge(JUDGE + '\ntemplate = "judge.j2"', tmp_path)


def test_missing_judge_template(tmp_path):
    with pytest.raises(InputError, match=r"missing\.j2: No such file"):
        judge(JUDGE + '\ntemplate = "missing.j2"', tmp_path)


def test_judge_errors_are_excluded_from_metrics():
    metrics = judge(JUDGE).aggregate(["a", "b", "c"], ["a", "b", "c"], [1.0, None, 0.0])
    assert (metrics.primary.value, metrics.n, metrics.errors) == (0.5, 2, 1)


# -- configuration ---------------------------------------------------------------------------


def test_config_is_closed():
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        CONFIG.validate_python({"type": "bleu"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CONFIG.validate_python({"type": "numeric", "tolerance": 0.1})
    assert CONFIG.validate_python({"type": "numeric"}).abs_tol == 0.0


def test_importing_scoring_leaves_sklearn_unloaded():
    code = "import sys, advisor.scoring; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
