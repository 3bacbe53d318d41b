import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(req):
    return re.split(r"[<>=!~ ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    pins = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    conda = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        line = line.split("#")[0].strip()
        if not line.startswith("- ") or line.endswith(":"):
            continue
        req = line[2:].strip()
        name = {"pytorch": "torch"}.get(_name(req), _name(req))
        if name in ("python", "pip"):
            continue
        conda.add(name)
        if name == "torch":
            assert req.endswith("==2.13.0") and pins["torch"] == "torch==2.13.0"
    assert conda == wanted


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python -m pip install -e ".[dev]"' in readme and 'pip install -e ".[dev]"' in ci
    assert "python -m pytest" in readme and "python -m pytest" in ci


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 12_000, "keep the README short; details go to docs/"
    assert 'python -m pytest -m "not slow"' in readme  # the edit-test loop
    links = re.findall(r"\]\((docs/[^)]+)\)", readme)
    assert links and all((ROOT / link).exists() for link in links), links
    for page in (ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([\w./-]+\.md)\)", page.read_text()):
            assert (page.parent / link).exists(), f"{page.name} links {link}"


def test_command_line_help_explains_every_option():
    out = subprocess.run([sys.executable, "-m", "convexnn_lab.cli", "demo", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--dataset", "--beta", "--patterns", "--seeds", "--steps", "--lr", "--seed"):
        assert option in out


@pytest.mark.slow  # imports every dependency and asks JupyterLab for its extensions
def test_check_env_passes():
    out = subprocess.run([sys.executable, "-m", "convexnn_lab.check_env"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    assert "[OK] torch 2.13.0" in out.stdout
    # reading the book needs JupyterLab and the widgets' lab extension, not only ipywidgets
    assert "[OK] jupyterlab " in out.stdout
    assert "[OK] jupyterlab_widgets " in out.stdout
    assert "[OK] JupyterLab extension @jupyter-widgets/jupyterlab-manager" in out.stdout


def test_check_env_fails_without_the_widgets_lab_extension(monkeypatch, capsys):
    from convexnn_lab import check_env

    monkeypatch.setattr(check_env, "lab_extension_path", lambda name: None)
    assert check_env.check() is False
    assert "[FAIL] JupyterLab extension @jupyter-widgets/jupyterlab-manager missing" \
        in capsys.readouterr().out
