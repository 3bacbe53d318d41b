"""Opening a notebook in JupyterLab and letting autosave run changes no file.

JupyterLab reads a notebook through the Jupyter server's contents manager (with
jupytext's, which also writes the paired .md), holds it in the browser, and saves it
back. This test does the same with jupytext's ``TextFileContentsManager`` on a copy of
the repository, doing in between what the browser does to the notebook (written here
independently of ``convexnn_lab.book.build``), and asserts that every file is
unchanged byte for byte.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("book", "solutions", "exercises")

jupytext = pytest.importorskip("jupytext")
pytest.importorskip("jupyter_server")


def _kernel_info(kernel_name="python3"):
    """The kernelspec and language_info JupyterLab writes once the kernel is up."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import start_new_kernel

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    km, kc = start_new_kernel(kernel_name=kernel_name)
    try:
        info = kc.kernel_info(reply=True)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    kernelspec = {"display_name": spec.display_name, "language": spec.language,
                  "name": kernel_name}
    return kernelspec, info


def _through_browser(content, kernelspec, language_info):
    """What the browser sends back: JSON.parse + JSON.stringify (3.0 -> 3), the
    running kernel's metadata, consecutive streams of one name merged."""
    def parse_float(text):
        x = float(text)
        return int(x) if x.is_integer() and abs(x) < 1e21 else x

    nb = json.loads(json.dumps(content), parse_float=parse_float)
    nb["metadata"]["kernelspec"] = kernelspec
    nb["metadata"]["language_info"] = language_info
    for cell in nb["cells"]:
        outputs = []
        for out in cell.get("outputs", []):
            if (outputs and out["output_type"] == "stream"
                    and outputs[-1]["output_type"] == "stream"
                    and outputs[-1]["name"] == out["name"]):
                outputs[-1]["text"] = "".join(outputs[-1]["text"]) + "".join(out["text"])
            else:
                outputs.append(out)
        if "outputs" in cell:
            cell["outputs"] = outputs
    return nb


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory):
    dst = tmp_path_factory.mktemp("repo")
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, dst / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dst


def _files(root):
    return {p.relative_to(root): p.read_bytes()
            for folder in FOLDERS for p in sorted((root / folder).iterdir()) if p.is_file()}


def test_open_and_save_in_jupyterlab_changes_no_file(repo_copy):
    before = _files(repo_copy)
    notebooks = sorted(p for p in before if p.suffix == ".ipynb")
    assert len(notebooks) >= 3 * 8, notebooks
    kernelspec, language_info = _kernel_info()
    cm = jupytext.TextFileContentsManager(root_dir=str(repo_copy))
    for rel in notebooks:
        model = cm.get(rel.as_posix(), content=True)
        model["content"] = _through_browser(model["content"], kernelspec, language_info)
        cm.save({"type": "notebook", "format": "json", "content": model["content"]},
                rel.as_posix())
    after = _files(repo_copy)
    changed = sorted(str(p) for p in before if after.get(p) != before[p])
    new = sorted(str(p) for p in after if p not in before)
    assert not changed and not new, (
        f"JupyterLab would rewrite {changed} and create {new}; rebuild with "
        "python -m convexnn_lab.book.build build and "
        "python -m convexnn_lab.grading release solutions exercises")


def test_sources_record_no_package_version():
    # a source that stores `jupytext_version: 1.19.6` is rewritten by every newer
    # jupytext on save, so a fresh install (newest jupytext) failed the test above
    stamped = [str(p.relative_to(ROOT)) for folder in ("book", "solutions")
               for p in sorted((ROOT / folder).glob("*.md"))
               if "jupytext_version" in p.read_text()]
    assert not stamped, f"{stamped} record jupytext's version; see book/jupytext.toml"
    for folder in ("book", "solutions"):
        config = (ROOT / folder / "jupytext.toml").read_text()
        assert "-jupytext.text_representation.jupytext_version" in config, folder


def test_shipped_server_config_hides_the_chapter_sources():
    # each chapter showed twice in JupyterLab's file browser (.ipynb and .md);
    # README starts JupyterLab with --config=jupyter_server_config.json
    from traitlets.config import Config

    config = Config(json.loads((ROOT / "jupyter_server_config.json").read_text()))
    cm = jupytext.TextFileContentsManager(root_dir=str(ROOT), config=config)
    book = {c["name"] for c in cm.get("book", content=True)["content"]}
    chapters = {p.name for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb")}
    assert chapters and chapters <= book
    assert not {name for name in book if name.endswith(".md")}
    top = {c["name"] for c in cm.get("", content=True)["content"]}
    assert {"README.md", "book", "exercises", "solutions"} <= top
    # the hidden sources are still read and written with their notebook
    assert cm.get("book/00_nonconvex_landscape.md", content=False)["name"].endswith(".md")
