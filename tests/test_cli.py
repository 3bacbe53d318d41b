"""The convexnn-lab command line rejects bad values before any work starts."""

import pytest

from convexnn_lab.cli import main

ADAM_RUNS = "(the number of Adam runs)"
LEARNING_RATE = "(the Adam learning rate, e.g. 0.01)"


@pytest.mark.parametrize("args,message", [
    (["--seeds", "0"], f"argument --seeds: must be an integer from 1 to 1,000 {ADAM_RUNS}, got 0"),
    (["--seeds", "two"],
     f"argument --seeds: must be an integer from 1 to 1,000 {ADAM_RUNS}, got 'two'"),
    (["--patterns", "0"], "argument --patterns: must be an integer from 1 to 100,000"),
    (["--patterns", "1000000000000"], "argument --patterns: must be an integer from 1 to"),
    (["--steps", "-5"], "argument --steps: must be an integer >= 1"),
    (["--beta", "0"], "argument --beta: must be a finite number > 0"),
    (["--beta", "nan"], "argument --beta: must be a finite number > 0"),
    (["--lr", "-1"], "argument --lr: must be a finite number > 0"),
    (["--lr", "fast"], f"argument --lr: must be a finite number > 0 {LEARNING_RATE}, got 'fast'"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0"),
    (["--time-limit", "0"], "argument --time-limit: must be a finite number > 0"),
])
def test_bad_demo_arguments_are_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["demo", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "convexnn-lab demo: error:" in err and message in err


def test_demo_help_states_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for option in ("--dataset", "--beta", "--patterns", "--seeds", "--steps", "--lr",
                   "--time-limit", "--seed "):
        entry = help_text.split(option, 2)[-1].split(" --", 1)[0]
        assert "default" in entry, f"{option} help shows no default: {entry!r}"


@pytest.fixture(scope="module")
def diabetes_demo():
    from convexnn_lab.cli import demo

    lines = []
    rows = demo("diabetes", n_patterns=5, seeds=2, steps=30, time_limit=10, out=lines.append)
    return rows, lines


@pytest.mark.slow  # runs the whole demo on diabetes
def test_demo_says_which_adam_run_starts_before_it_runs(diabetes_demo):
    rows, lines = diabetes_demo
    starts = [i for i, line in enumerate(lines) if line.startswith("training Adam")]
    assert [lines[i].split(",")[1] for i in starts] == [" seed 0 (1 of 2", " seed 1 (2 of 2"]
    table = next(i for i, line in enumerate(lines) if line.startswith("model"))
    assert max(starts) < table  # announced while the user waits, not after the table


@pytest.mark.slow  # runs the whole demo on diabetes
def test_demo_explains_a_negative_test_r2(diabetes_demo):
    rows, lines = diabetes_demo
    negative = [name for name, *_, te, _, _ in rows if te < 0]
    notes = [line for line in lines if line.startswith("note: test R^2 < 0")]
    assert len(notes) == (1 if negative else 0)
    for name in negative:
        assert name in notes[0]


def test_negative_r2_note_names_the_likely_reason():
    from convexnn_lab.cli import _negative_r2_note

    overfit = [("adam seed 0", 39.1, float("nan"), 0.87, -0.02, 27, 1.0)]
    underfit = [("convex, sampled patterns", 90.0, 1e-7, 0.2, -0.1, 3, 1.0)]
    good = [("convex, sampled patterns", 71.8, 1e-7, 0.62, 0.29, 27, 1.0)]
    assert _negative_r2_note(good, 331, 1.0) == ""
    note = _negative_r2_note(overfit, 331, 1.0)
    assert "worse than predicting the mean" in note and "331 training points" in note
    assert "larger --beta" in note
    note = _negative_r2_note(underfit, 331, 5.0)
    assert "too few patterns" in note and "smaller --beta" in note
