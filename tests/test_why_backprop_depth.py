"""why-backprop's depth experiment (issue 23 §7): the paths from a weight to the cost multiply with depth, backprop's
work adds up; counted on the real graphs, said with its numbers, carried by --format json, drawn by --plot."""

from __future__ import annotations

import json
import random

import pytest

from chainrule.cli import main
from chainrule.explainer.paths import count_paths
from chainrule.lessons import why_backprop
from chainrule.viz.costs import plot_costs

DEPTHS = list(range(1, why_backprop.MAX_DEPTH + 1))


@pytest.fixture(scope="module")
def result():
    return why_backprop.train(max_params=4)


class Counted(list):
    """A node's local derivatives, counting each one read: what a backward pass multiplies along."""

    reads = 0

    def __getitem__(self, k):
        Counted.reads += 1
        return super().__getitem__(k)

    def __iter__(self):
        for x in super().__iter__():
            Counted.reads += 1
            yield x


def test_the_paths_counted_on_each_graph_multiply_by_the_width_with_every_layer(result):
    widths = result.by_width()
    assert all(m >= 2 for m in widths) and len(widths) >= 2
    for m, rows in widths.items():
        assert [r.depth for r in rows] == DEPTHS
        assert [r.paths for r in rows] == [m ** (d - 1) for d in DEPTHS]  # every path goes on to all m neurons


def test_backprop_s_edges_grow_by_one_layer_s_worth_per_layer_and_the_paths_overtake_them(result):
    for rows in result.by_width().values():
        steps = {after.edges - before.edges for before, after in zip(rows, rows[1:])}
        assert len(steps) == 1 and steps.pop() > 0  # linear in depth
        assert rows[0].paths < rows[0].edges and rows[-1].paths > rows[-1].edges


@pytest.mark.parametrize("width,depth", [(2, 1), (2, 5), (3, 4)])
def test_the_edges_counted_are_the_local_derivatives_backward_really_multiplies_by(width, depth):
    w, C = why_backprop.deep_network(width, depth, 0.5, random.Random(7))
    for node in C.nodes():
        node.local = Counted(node.local)
    Counted.reads = 0
    C.backward()
    assert Counted.reads == why_backprop.edges_below(C)  # each edge once, whatever the number of paths
    assert count_paths(C, w) == width ** (depth - 1)


def test_the_listed_paths_sum_to_backprop_s_gradient_and_are_listed_only_when_few(result):
    for row in result.depth_rows:
        if row.paths <= why_backprop.LISTED_PATHS:
            assert row.path_sum == pytest.approx(row.gradient, rel=1e-9, abs=1e-15)
            assert row.listed_seconds > 0 and row.listed_repeats >= 1
        else:
            assert row.path_sum is None and row.listed_seconds is None
    assert any(r.path_sum is None for r in result.depth_rows)  # the deepest are too many to list
    assert all(r.seconds > 0 and r.repeats >= 1 for r in result.depth_rows)  # backprop's pass, timed


def test_the_lesson_says_the_point_with_its_own_numbers(result):
    sections = why_backprop.explain(result).sections
    point = next(s for s in sections if s.title == "The point, with depth")
    widest = result.by_width()[max(result.by_width())]
    last, before = widest[-1], widest[-2]
    assert len(point.lines) <= 2
    assert f"{last.paths} paths, ×{max(result.by_width())} with every layer" in point.lines[0]
    assert f"{last.edges} edges, {last.edges - before.edges} more per layer" in point.lines[0]
    assert "paths of depth" in point.lines[1] and "backprop's whole pass" in point.lines[1]


def test_format_json_carries_the_counts(capsys):
    assert main(["lesson", "why-backprop", "--max-params", "4", "--format", "json"]) == 0
    depth = json.loads(capsys.readouterr().out)["depth"]
    assert depth["weight"] == "w¹₁₁" and depth["widths"] == list(why_backprop.WIDTHS)
    for row in depth["rows"]:
        assert row["paths"] == row["width"] ** (row["depth"] - 1)
        assert row["edges"] > 0 and row["seconds"] > 0
    assert {(r["width"], r["depth"]) for r in depth["rows"]} == {(m, d) for m in why_backprop.WIDTHS for d in DEPTHS}


def test_the_plot_draws_the_counted_paths_and_edges_against_depth_on_a_log_axis(result, tmp_path):
    fig = plot_costs(result, str(tmp_path / "costs.svg"))
    assert "<svg" in (tmp_path / "costs.svg").read_text(encoding="utf-8")
    paths_panel = fig.axes[2]
    assert paths_panel.get_yscale() == "log" and "depth" in paths_panel.get_xlabel()
    drawn = {line.get_label(): list(line.get_ydata()) for line in paths_panel.get_lines()}
    for m, rows in result.by_width().items():
        assert drawn[f"paths w¹₁₁ → C, width {m}"] == [r.paths for r in rows]
        assert drawn[f"edges backprop visits, width {m}"] == [r.edges for r in rows]
