"""A lesson's page, made from the lesson while the site builds: every rung of the ladder gets the same parts.

Each ``docs/lessons/NAME.md`` calls ``lesson_page("NAME")`` and gets, in the order a learner meets them:

* the lesson's one line (its ``Lesson.summary``, as ``chainrule lesson --list`` shows it);
* the explanation as ``chainrule lesson NAME --format markdown`` prints it (its formulas set by KaTeX);
* its computation graph (``chainrule graph NAME``) and its picture where it draws one (``--plot``);
* the check of every gradient (``chainrule check NAME``: finite differences and PyTorch);
* its exercise (``chainrule exercise NAME --seed 1 --key``: the questions in order, with their answers);
* its backward pass as a program (``chainrule code NAME``);
* where to follow it edge by edge in the explorer (``chainrule serve``), and the viewers' questions it answers
  (the pages of ``docs/questions/`` whose front matter names it).
"""

from __future__ import annotations

import re

from questions import questions_answered
from run_chainrule import command, markdown, picture, program

from chainrule.lessons import LESSONS

EXPLORER = "http://127.0.0.1:8000/backprop"

# a graph too big to draw legibly: why-backprop's point is that its paths are too many to list
NO_GRAPH = {"why-backprop": "its network has hundreds of nodes and the point of the lesson is that their paths "
                            "are too many to list; the graph of a smaller network is on the page of "
                            "[wide](wide.md)"}
# the picture of convexity needs a shorter descent than its default 2000 steps to build quickly
PLOT_OPTIONS = {"convexity": "--steps 200 "}
# a program too long to read on a page is shown in its matrix form
CODE_OPTIONS = {"why-backprop": " --lang numpy"}


def _demoted(report: str) -> str:
    """The report's headings one level down, so they sit under the page's own sections."""
    return re.sub(r"^(#{2,5}) ", r"#\1 ", report, flags=re.M)


def lesson_page(name: str) -> str:
    lesson = LESSONS[name]
    parts = [f"*{lesson.summary}*\n"]
    asked = questions_answered(name)
    if asked:
        parts.append("The viewers' questions this lesson answers: "
                     + ", ".join(f"[{q.title}](../questions/{q.page})" for q in asked) + ".\n")

    parts.append("## The explanation\n")
    parts.append(f"What `chainrule lesson {name}` prints, in Markdown (`--format markdown`), made while this page "
                 "was built:\n")
    parts.append(_demoted(markdown(f"chainrule lesson {name} --format markdown")))

    parts.append("## The graph\n")
    if name in NO_GRAPH:
        parts.append(f"Not drawn here: {NO_GRAPH[name]}.\n")
    else:
        parts.append("Each box is a value (its label, its number, its gradient after one backward pass); each edge "
                     "carries its local derivative.\n")
        parts.append(picture(f"chainrule graph {name} --out {{svg}}", f"the computation graph of {name}"))

    if lesson.plots:
        parts.append("## The picture\n")
        parts.append(picture(f"chainrule lesson {name} {PLOT_OPTIONS.get(name, '')}--plot {{svg}}",
                             f"the picture of lesson {name}"))

    parts.append("## Every gradient checked\n")
    parts.append("Backprop's gradients against central finite differences and against PyTorch's autograd:\n")
    parts.append(command(f"chainrule check {name}"))

    parts.append("## The exercise\n")
    parts.append(f"`chainrule exercise {name}` asks these one at a time, with numbers of your own (`--seed N` or "
                 "`--student NAME`), and names a common mistake when it sees one; `--key` prints the questions "
                 "with their answers (see [For teachers](../teachers.md)):\n")
    parts.append(command(f"chainrule exercise {name} --seed 1 --key"))

    parts.append("## The backward pass as code\n")
    option = CODE_OPTIONS.get(name, "")
    parts.append(f"`chainrule code {name}{option}` writes the lesson's network as a program that runs as printed "
                 "(see [the backward pass as code](../backward-as-code.md)):\n")
    parts.append(program(f"chainrule code {name}{option}"))

    parts.append("## In the explorer\n")
    if lesson.step_through is None:
        parts.append("This lesson has no step-through in the explorer (its paths are too many to follow one by "
                     "one); its numbers are above.\n")
    else:
        link = f"{EXPLORER}?lesson={name}"
        text = (f"Run `chainrule serve` and open [{link}]({link}) to follow the backward pass one edge at a time "
                "on this network")
        if lesson.step_exercise:
            text += f", or [{link}&mode=exercise]({link}&mode=exercise) to compute each step yourself first"
        parts.append(text + " ([the explorer](../explorer.md)).\n")
    return "\n".join(parts)
