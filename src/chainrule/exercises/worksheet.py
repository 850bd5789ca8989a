"""Worksheets for a class: one sheet per student with their own numbers, and the teacher's key.

    sheets = worksheets("chain", ["Ada", "Alan"], class_seed=7)
    write_worksheets(sheets, "out/")   # out/ada.md, out/ada.tex, …, out/key.csv, out/answers.csv

Each student's numbers come from their name and the class's seed (so two
classes with the same names get different numbers, and a sheet can be made
again from the key). A sheet is the exercise of ``chainrule exercise``
printed: the network, the student's numbers, and one line per step in the
order of backprop, with room for the answer. The key (CSV) has one row per
student and question: the answer to 3 significant digits and its formula,
plus the lesson, seed and settings that make the sheet again, which is
what ``chainrule grade`` reads. ``answers.csv`` is the same rows with the
answers left blank, for the teacher to fill in.

A PDF of each sheet is made when a LaTeX program is installed (``RENDERERS``,
the first found); otherwise ``render_pdfs`` says which ones it looked for.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from ..errors import InvalidValueError
from ..explainer.format import latex, num
from .draw import MAX_NAME, seed_for_student
from .exercise import Exercise, build, key_number

__all__ = ["Sheet", "worksheets", "write_worksheets", "render_pdfs", "RENDERERS", "KEY_COLUMNS", "MAX_STUDENTS",
           "safe_cell", "student_names"]

MAX_STUDENTS = 200  # a large lecture; each sheet is one exercise to build
RENDERERS = ("xelatex", "lualatex", "pdflatex", "tectonic")  # Unicode-aware first
RENDER_SECONDS = 120
KEY_COLUMNS = ("student", "question", "answer", "formula", "lesson", "seed", "settings")


@dataclass
class Sheet:
    student: str
    file: str  # the file name without its extension: ada-lovelace
    exercise: Exercise


def student_names(count: int | None = None, names: list[str] | None = None) -> list[str]:
    """The class: ``names`` as given (each checked), or ``count`` students called student 01, student 02, …"""
    if names is None:
        if count is None or not 1 <= count <= MAX_STUDENTS:
            raise InvalidValueError(f"students = {count!r}; allowed: a whole number from 1 to {MAX_STUDENTS}")
        width = len(str(count))
        return [f"student {k:0{width}d}" for k in range(1, count + 1)]
    names = [" ".join(n.split()) for n in names if n.strip()]
    if not 1 <= len(names) <= MAX_STUDENTS:
        raise InvalidValueError(f"{len(names)} names; allowed: 1 to {MAX_STUDENTS}")
    seen = set()
    for n in names:
        seed_for_student(n)  # checks length and printability
        if n.casefold() in seen:
            raise InvalidValueError(f"the name {n!r} appears twice; each student needs their own")
        seen.add(n.casefold())
    return names


def _file_name(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:MAX_NAME] or "student"
    candidate, k = slug, 1
    while candidate in taken:
        k += 1
        candidate = f"{slug}-{k}"
    taken.add(candidate)
    return candidate


def worksheets(lesson: str, students: list[str], class_seed: int, settings: dict | None = None) -> list[Sheet]:
    """One sheet per student: the exercise drawn from their name and the class's seed."""
    taken: set[str] = set()
    return [Sheet(name, _file_name(name, taken), build(lesson, seed_for_student(name, class_seed), settings))
            for name in students]


# ------------------------------------------------------------------ text
_DERIVATIVE = re.compile(r"∂(\([^()]*\)|[^\s/·=()]+)/∂(\([^()]*\)|[^\s·=()+]+)")


def math_latex(text: str) -> str:
    """Our notation in LaTeX, ∂C/∂w as a fraction: '∂C/∂w = ?' → '\\frac{\\partial C}{\\partial w} = ?'."""
    text = _DERIVATIVE.sub(lambda m: "\\frac{∂" + m.group(1) + "}{∂" + m.group(2) + "}", text)
    return latex(text).replace("?", r"\;?")


def _tex_text(text: str) -> str:
    """Prose for LaTeX, its special characters escaped."""
    out = []
    for ch in text:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)


def _given(exercise: Exercise) -> list[str]:
    return [f"{g.key} = {num(g.value)}" for g in exercise.givens]


def markdown(sheet: Sheet) -> str:
    """The sheet in Markdown, formulas as LaTeX math."""
    ex = sheet.exercise
    lines = [f"# Backprop by hand: {ex.lesson}", "", f"**Name:** {sheet.student} (numbers: seed {ex.seed})", "",
             ex.summary, "", "## The network", ""]
    lines += [f"$${math_latex(line)}$$" for line in ex.network]
    lines += ["", "## Your numbers", "", ", ".join(f"${math_latex(g)}$" for g in _given(ex)), ""]
    lines += [ex.note, ""] if ex.note else []
    lines += ["Compute each step in order, to 3 significant digits (or write it as a formula in the symbols).", "",
              "| # | step | your answer |", "|---:|---|---|"]
    lines += [f"| {k} | ${math_latex(q.prompt)}$ | |" for k, q in enumerate(ex.questions, 1)]
    return "\n".join(lines) + "\n"


def tex(sheet: Sheet) -> str:
    """The sheet as a LaTeX document (any of ``RENDERERS`` makes it a PDF)."""
    ex = sheet.exercise
    rows = "\n".join(f"{k} & ${math_latex(q.prompt)}$ & \\\\[1.2em] \\hline" for k, q in enumerate(ex.questions, 1))
    network = "\n".join(f"\\[ {math_latex(line)} \\]" for line in ex.network)
    given = ", ".join(f"${math_latex(g)}$" for g in _given(ex))
    note = f"\n{_tex_text(ex.note)}\n" if ex.note else ""
    return rf"""\documentclass[11pt]{{article}}
\usepackage[a4paper,margin=2cm]{{geometry}}
\usepackage{{iftex}}
\ifPDFTeX\usepackage[T1]{{fontenc}}\usepackage[utf8]{{inputenc}}\fi
\usepackage{{amsmath,array,longtable}}
\pagestyle{{empty}}
\begin{{document}}
\section*{{Backprop by hand: {_tex_text(ex.lesson)}}}
\textbf{{Name:}} {_tex_text(sheet.student)} \hfill (numbers: seed {ex.seed})

{_tex_text(ex.summary)}

\subsection*{{The network}}
{network}

\subsection*{{Your numbers}}
{given}
{note}
Compute each step in order, to 3 significant digits (or write it as a formula in the symbols).

\renewcommand{{\arraystretch}}{{1.4}}
\begin{{longtable}}{{|r|>{{\raggedright\arraybackslash}}p{{7.5cm}}|p{{6.5cm}}|}}
\hline \# & step & your answer \\ \hline
{rows}
\end{{longtable}}
\end{{document}}
"""


# ----------------------------------------------------------------- files
def safe_cell(text) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + − @ (and not a number) gets a leading '."""
    text = "" if text is None else str(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def key_rows(sheets: list[Sheet]) -> list[dict]:
    rows = []
    for sheet in sheets:
        ex = sheet.exercise
        settings = ";".join(f"{k}={v}" for k, v in sorted(ex.settings.items()))
        for q in ex.questions:
            rows.append({"student": sheet.student, "question": q.id, "answer": key_number(q.value),
                         "formula": q.formula, "lesson": ex.lesson, "seed": ex.seed, "settings": settings})
    return rows


def _write_csv(path: str, columns, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(v) for k, v in row.items()})


def write_worksheets(sheets: list[Sheet], folder: str) -> list[str]:
    """Write every sheet (.md, .tex), the key (key.csv) and a blank answers.csv into ``folder``; the paths."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise InvalidValueError(f"cannot write into {folder!r}: it is a file, not a folder")
    if os.path.isdir(folder) and os.listdir(folder) and not os.path.isfile(os.path.join(folder, "key.csv")):
        raise InvalidValueError(f"{folder!r} is not empty and holds no worksheet (no key.csv): give a new or empty "
                                "folder, so no file of yours is overwritten")
    os.makedirs(folder, exist_ok=True)
    written = []
    for sheet in sheets:
        for ext, text in ((".md", markdown(sheet)), (".tex", tex(sheet))):
            path = os.path.join(folder, sheet.file + ext)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            written.append(path)
    rows = key_rows(sheets)
    key = os.path.join(folder, "key.csv")
    _write_csv(key, KEY_COLUMNS, rows)
    blank = os.path.join(folder, "answers.csv")
    _write_csv(blank, ("student", "question", "answer"),
               ({"student": r["student"], "question": r["question"], "answer": ""} for r in rows))
    return written + [key, blank]


def find_renderer() -> str | None:
    """The first LaTeX program of ``RENDERERS`` on the PATH, or None."""
    return next((name for name in RENDERERS if shutil.which(name)), None)


def render_pdfs(sheets: list[Sheet], folder: str) -> tuple[list[str], str]:
    """Each sheet's .tex made into a PDF by the first renderer found: (the PDFs, a line saying what happened)."""
    renderer = find_renderer()
    if renderer is None:
        return [], (f"no PDF: none of {', '.join(RENDERERS)} is installed (e.g. apt install texlive-xetex); "
                    "the .tex sheets are ready for any LaTeX")
    made = []
    for sheet in sheets:
        source = sheet.file + ".tex"
        if renderer == "tectonic":
            command = [shutil.which(renderer), "--outdir", ".", source]
        else:
            command = [shutil.which(renderer), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                       source]
        try:
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=RENDER_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return made, f"{renderer} took more than {RENDER_SECONDS} s on {source}; stopped"
        pdf = os.path.join(folder, sheet.file + ".pdf")
        if done.returncode != 0 or not os.path.isfile(pdf):
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            return made, f"{renderer} failed on {source}: {last[0][:200]}"
        for ext in (".aux", ".log"):
            try:
                os.remove(os.path.join(folder, sheet.file + ext))
            except OSError:
                pass
        made.append(pdf)
    return made, f"{len(made)} PDFs made with {renderer}"
