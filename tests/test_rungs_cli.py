"""The new rungs from the command line: each is checked, drawn and plotted like every lesson."""

from __future__ import annotations

import json
import shutil

import pytest
from site_build import ROOT, block_after

from chainrule import lessons
from chainrule.cli import main
from chainrule.viz.graph import MAX_NODES

RUNGS = ["softmax", "conv", "recurrent", "convexity"]


@pytest.mark.parametrize("name", RUNGS)
def test_check_agrees_with_finite_differences_and_pytorch(capsys, name):
    pytest.importorskip("torch")
    assert main(["check", name, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [r["reference"] for r in report["references"]] == ["finite differences", "pytorch"]
    assert all(p["max_abs_error"] < 1e-6 for r in report["references"] for p in r["parameters"])


@pytest.mark.parametrize("name", RUNGS)
def test_the_default_graph_is_small_enough_to_draw(capsys, tmp_path, name):
    assert len(lessons.graph(name).nodes()) < MAX_NODES
    assert shutil.which("dot"), "make test needs Graphviz's dot (.ci/run installs it)"
    path = tmp_path / f"{name}.svg"
    assert main(["graph", name, "--out", str(path)]) == 0
    assert "<svg" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", RUNGS + ["batch"])
@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_plot_is_written(capsys, tmp_path, name, suffix):
    path = tmp_path / f"{name}{suffix}"
    extra = ["--steps", "200"] if name == "convexity" else []
    assert main(["lesson", name, *extra, "--plot", str(path), "--format", "json"]) == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" if suffix == ".png" else b"<svg" in data


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_site_s_ladder_is_the_real_lesson_list(capsys):
    """The ladder page of the docs site (it was the README's) shows `chainrule lesson --list` as it prints now."""
    assert main(["lesson", "--list"]) == 0
    listing = capsys.readouterr().out
    assert block_after("lessons/index.html", "$ chainrule lesson --list") == listing.rstrip("\n")
    ladder = (ROOT / "docs" / "lessons" / "index.md").read_text(encoding="utf-8")
    for name in RUNGS:  # the list after it says which question each new rung answers
        assert f"`{name}`" in ladder.split("## Which rung answers which question", 1)[1]
