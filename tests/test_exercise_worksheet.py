"""For teachers: a class's worksheets and key (``chainrule worksheet``), and their marking (``chainrule grade``)."""

from __future__ import annotations

import csv
import os
import stat

import pytest

from chainrule.cli import main
from chainrule.exercises import build, seed_for_student
from chainrule.exercises.exercise import key_number
from chainrule.exercises.worksheet import RENDERERS, safe_cell


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, header, data):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(data)


@pytest.fixture
def no_latex(monkeypatch, tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_thirty_students_get_their_own_sheets_and_the_teacher_a_key(tmp_path, capsys, no_latex):
    out = tmp_path / "sheets"
    assert main(["worksheet", "chain", "--students", "30", "--out", str(out), "--seed", "4"]) == 0
    said = capsys.readouterr().out
    assert "30 sheets of chain (class seed 4)" in said
    assert "no PDF: none of xelatex, lualatex, pdflatex, tectonic is installed" in said
    names = sorted(p.name for p in out.iterdir())
    assert names[:2] == ["answers.csv", "key.csv"] and len(names) == 2 + 2 * 30
    key = rows(out / "key.csv")
    assert set(key[0]) == {"student", "question", "answer", "formula", "lesson", "seed", "settings"}
    students = {r["student"] for r in key}
    assert len(students) == 30 and "student 01" in students
    seeds = {r["seed"] for r in key}
    assert len(seeds) == 30  # each their own numbers
    for r in key[:40]:
        ex = build(r["lesson"], int(r["seed"]))
        assert int(r["seed"]) == seed_for_student(r["student"], 4)
        assert key_number(ex.question(r["question"]).value) == r["answer"]
    sheet = (out / "student-01.md").read_text(encoding="utf-8")
    assert "**Name:** student 01" in sheet and "\\frac{\\partial C}{\\partial a_{3}}" in sheet
    tex = (out / "student-01.tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert tex.count("\\\\[1.2em] \\hline") == len(build("chain", int(key[0]["seed"])).questions)
    blank = rows(out / "answers.csv")
    assert len(blank) == len(key) and all(r["answer"] == "" for r in blank)


def test_the_same_class_seed_makes_the_same_sheets(tmp_path, no_latex, capsys):
    for name in ("a", "b"):
        assert main(["worksheet", "simplest", "--students", "3", "--out", str(tmp_path / name), "--seed", "9"]) == 0
    assert (tmp_path / "a" / "key.csv").read_text() == (tmp_path / "b" / "key.csv").read_text()


def test_a_class_list_gives_sheets_named_after_the_students(tmp_path, no_latex, capsys):
    names = tmp_path / "class.txt"
    names.write_text("Ada Lovelace\nAlan Turing\n\nGrace Hopper & co\n", encoding="utf-8")
    out = tmp_path / "sheets"
    assert main(["worksheet", "batch", "--names", str(names), "--out", str(out), "--seed", "1"]) == 0
    assert {"ada-lovelace.md", "alan-turing.tex", "grace-hopper-co.tex"} <= set(os.listdir(out))
    assert "Grace Hopper \\& co" in (out / "grace-hopper-co.tex").read_text(encoding="utf-8")


def test_a_pdf_is_made_when_a_latex_program_is_installed(tmp_path, monkeypatch, capsys):
    # a stand-in for pdflatex: the same command line, it writes the PDF next to the .tex it is given
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pdflatex"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do f=\"$a\"; done\n"
                    "case \"$*\" in *-no-shell-escape*) ;; *) exit 3;; esac\n"
                    "printf '%%PDF-1.4 fake' > \"${f%.tex}.pdf\"\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "sheets"
    assert main(["worksheet", "simplest", "--students", "2", "--out", str(out), "--seed", "1"]) == 0
    assert "2 PDFs made with pdflatex" in capsys.readouterr().out
    assert (out / "student-1.pdf").read_bytes().startswith(b"%PDF")
    assert RENDERERS.index("pdflatex") > RENDERERS.index("xelatex")  # a Unicode-aware one is preferred


def test_a_folder_holding_other_files_is_not_written_into(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["worksheet", "simplest", "--students", "2", "--out", str(tmp_path)]) == 2
    assert "is not empty and holds no worksheet" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["notes.txt"]


def _class(tmp_path, no_latex_env=True):
    out = tmp_path / "sheets"
    assert main(["worksheet", "simplest", "--students", "4", "--out", str(out), "--seed", "2"]) == 0
    key = rows(out / "key.csv")
    answers = []
    for r in key:
        a = r["answer"]
        if r["student"] == "student 2" and r["question"] == "dC/dw":
            a = key_number(-float(a))  # the sign flipped
        if r["student"] in ("student 3", "student 4") and r["question"] == "dC/da":
            a = key_number(float(a) / 2)  # the 2 of the square forgotten
        if r["student"] == "student 4" and r["question"] == "a":
            a = '=HYPERLINK("http://x")'  # not an answer, and a spreadsheet formula
        answers.append([r["student"], r["question"], a])
    write_rows(tmp_path / "answers.csv", ["student", "question", "answer"], answers)
    return out


def test_grade_marks_the_class_with_the_same_diagnoses_per_student_and_per_question(tmp_path, capsys, no_latex):
    out = _class(tmp_path)
    capsys.readouterr()
    code = main(["grade", str(out / "key.csv"), str(tmp_path / "answers.csv"), "--out", str(tmp_path / "marks")])
    text = capsys.readouterr().out
    assert code == 1
    assert "student 1: 7/7" in text and "student 2: 6/7; wrong: gradients (1)" in text
    assert "dC/da          ∂C/∂a: 2 right, 2 wrong; most often the missing 2 of a square's derivative (2)" in text
    assert "the step the class got wrong most: ∂C/∂a (local derivatives), 2 of 4 wrong" in text
    marks = rows(tmp_path / "marks" / "marks.csv")
    flipped = next(m for m in marks if m["student"] == "student 2" and m["question"] == "dC/dw")
    assert flipped["mistake"] == "a flipped sign" and "sign flipped" in flipped["diagnosis"]
    garbled = next(m for m in marks if m["student"] == "student 4" and m["question"] == "a")
    assert garbled["correct"] == "False" and garbled["given"].startswith("'=")  # escaped: no formula runs
    assert "not an answer" in garbled["diagnosis"]
    per_question = rows(tmp_path / "marks" / "questions.csv")
    assert [r["question"] for r in per_question] == ["a", "C", "dC/da", "da/dw", "dC/dw", "w_new", "C_after"]
    assert len(rows(tmp_path / "marks" / "students.csv")) == 4


def test_grade_exits_0_when_every_answer_is_right(tmp_path, capsys, no_latex):
    out = _class(tmp_path)
    key = rows(out / "key.csv")
    write_rows(tmp_path / "right.csv", ["student", "question", "answer"],
               [[r["student"], r["question"], r["answer"]] for r in key])
    assert main(["grade", str(out / "key.csv"), str(tmp_path / "right.csv"), "--format", "json"]) == 0


@pytest.mark.parametrize("edit, words", [
    (lambda key, ans: key.__setitem__(0, {**key[0], "answer": "9.99"}), "the key says a = 9.99"),
    (lambda key, ans: ans.append({"student": "nobody", "question": "a", "answer": "1"}), "'nobody' is not in the key"),
    (lambda key, ans: ans.append(dict(ans[0])), "a second answer"),
    (lambda key, ans: ans.append({"student": "student 1", "question": "zz", "answer": "1"}), "has no question 'zz'"),
    (lambda key, ans: key.__setitem__(0, {**key[0], "seed": "x"}), "is not a whole number"),
])
def test_grade_refuses_an_edited_key_or_odd_answers_with_one_line(tmp_path, capsys, no_latex, edit, words):
    out = _class(tmp_path)
    key, answers = rows(out / "key.csv"), rows(tmp_path / "answers.csv")
    edit(key, answers)
    write_rows(tmp_path / "key2.csv", list(key[0]), [list(r.values()) for r in key])
    write_rows(tmp_path / "answers2.csv", ["student", "question", "answer"], [list(r.values()) for r in answers])
    capsys.readouterr()
    assert main(["grade", str(tmp_path / "key2.csv"), str(tmp_path / "answers2.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_grade_refuses_files_that_are_not_csv_with_the_columns(tmp_path, capsys):
    (tmp_path / "k.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    for argv, words in ((["grade", str(tmp_path / "k.csv"), str(tmp_path / "k.csv")], "has no column 'student'"),
                        (["grade", str(tmp_path / "bin.csv"), str(tmp_path / "k.csv")], "not UTF-8"),
                        (["grade", str(tmp_path / "missing.csv"), str(tmp_path / "k.csv")], "cannot read")):
        assert main(argv) == 2
        assert words in capsys.readouterr().err


def test_spreadsheet_cells_never_start_a_formula():
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("+x") == "'+x"
    assert safe_cell("-1.2") == "-1.2" and safe_cell("2(a − y)") == "2(a − y)"
