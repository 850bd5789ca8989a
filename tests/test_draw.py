"""`chainrule.draw` and `chainrule graph`: valid SVG with every node, and a clear error without Graphviz."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chainrule import Value
from chainrule.cli import main
from chainrule.errors import MissingDependencyError
from chainrule.explainer.names import name_nodes
from chainrule.lessons import simplest, wide
from chainrule.viz.graph import INSTALL_HINT, draw


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))  # raises on invalid XML
    assert root.tag.endswith("svg")
    return [t.text or "" for t in root.iter() if t.tag.endswith("text")]


def test_drawing_of_the_video_graph_is_valid_svg_with_every_label_data_and_grad():
    cost = simplest.train(steps=0).graph()
    texts = svg_texts(draw(cost))
    for label in ("i", "w", "a", "y", "C", "a − y"):
        assert label in texts
    assert "grad 1.2" in texts and "data 0.16" in texts  # w.grad and C
    assert "i = 1.5" in texts  # the edge w → a carries ∂a/∂w = i = 1.5


def test_drawing_of_a_wide_network_names_every_node():
    cost = wide.train(width=3, steps=0).graph()
    texts = set(svg_texts(draw(cost, format="svg")))
    names = name_nodes(cost)
    assert all(names[n] in texts for n in names.order)


def test_draw_writes_png_and_svg_files(tmp_path):
    cost = simplest.train(steps=0).graph()
    png = tmp_path / "g.png"
    assert draw(cost, path=str(png)) == str(png)  # the path, not the picture's bytes: the prompt shows a name
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "g.svg"
    assert draw(cost, path=str(svg)) == str(svg)
    assert svg.read_text(encoding="utf-8") == draw(cost)


def test_value_shows_itself_as_svg_in_jupyter():
    from IPython.core.interactiveshell import InteractiveShell

    from chainrule.viz.jupyter import register

    shell = InteractiveShell.instance()
    register(shell)
    x = Value(2.0, label="x")
    y = (x * x).named("y")
    y.backward()
    shown, _ = shell.display_formatter.format(y)
    assert "<svg" in shown["image/svg+xml"] and "text/plain" in shown
    assert not hasattr(Value, "_repr_svg_")  # the engine itself knows nothing about drawing


def test_missing_graphviz_binary_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    x = Value(2.0, label="x")
    with pytest.raises(MissingDependencyError, match="apt-get install graphviz"):
        draw(x * 3)
    from chainrule.viz.jupyter import _svg

    assert _svg(x * 3) is None  # Jupyter falls back to the text repr


def test_graph_command_writes_the_lesson_graph(tmp_path, capsys):
    out = tmp_path / "chain.svg"
    assert main(["graph", "chain", "--out", str(out)]) == 0
    texts = svg_texts(out.read_text(encoding="utf-8"))
    assert {"w₁", "w₂", "w₃", "C"} <= set(texts)


def test_graph_command_without_graphviz_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(["graph", "simplest", "--out", str(tmp_path / "g.svg")])
    err = capsys.readouterr().err
    assert code == 2 and INSTALL_HINT in err and len(err.strip().splitlines()) == 1


def test_graph_command_refuses_a_bad_suffix(tmp_path, capsys):
    assert main(["graph", "simplest", "--out", str(tmp_path / "g.txt")]) == 2
