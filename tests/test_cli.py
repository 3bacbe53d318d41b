"""The convexnn-lab command line rejects bad values before any work starts."""

import pytest

from convexnn_lab.cli import main

ADAM_RUNS = "(the number of Adam runs)"
LEARNING_RATE = "(the Adam learning rate, e.g. 0.01)"


@pytest.mark.parametrize("args,message", [
    (["--seeds", "0"], f"argument --seeds: must be an integer >= 1 {ADAM_RUNS}, got 0"),
    (["--seeds", "two"], f"argument --seeds: must be an integer >= 1 {ADAM_RUNS}, got 'two'"),
    (["--patterns", "0"], "argument --patterns: must be an integer >= 1"),
    (["--steps", "-5"], "argument --steps: must be an integer >= 1"),
    (["--beta", "0"], "argument --beta: must be a finite number > 0"),
    (["--beta", "nan"], "argument --beta: must be a finite number > 0"),
    (["--lr", "-1"], "argument --lr: must be a finite number > 0"),
    (["--lr", "fast"], f"argument --lr: must be a finite number > 0 {LEARNING_RATE}, got 'fast'"),
    (["--seed", "-1"], "argument --seed: must be an integer >= 0"),
])
def test_bad_demo_arguments_are_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["demo", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "convexnn-lab demo: error:" in err and message in err
