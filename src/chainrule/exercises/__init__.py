"""Learn by doing: a lesson's backprop computed by hand, each step checked, each common mistake named.

    from chainrule.exercises import build, check

    ex = build("simplest", seed=7)        # the video's network with a learner's own numbers
    ex.questions[0].prompt                # 'a = i·w = ?'
    check(ex, "dC/dw", "2*(a-y)*i")       # Verdict(correct=True, …): a formula, checked as a formula
    check(ex, "dC/dw", "0.6").diagnosis   # '∂C/∂w: you gave 0.6; that is 2(a − y) without the factor ∂a/∂w = i = …'

Everything is generated from the lesson's graph (``result.graph()``, its
public data model) and the op table (``chainrule.ops``): the questions, the
expected numbers and formulas, and the mistakes. One idea per module:

    answers     a learner's text read by a small grammar (never eval, never sympify), bounded
    draw        a seed (or a student's name) drawn into the lesson's declared parameters
    network     the graph as a person computes it: named values and the unnamed steps between them
    questions   the questions in the order of backprop, each computable from the ones before
    mistakes    the common mistakes of each question, the right computation with one rule changed
    softmax     a softmax in the graph asked whole: the forward in order, m = max z asked, every class's p and ∂C/∂zₖ
    tolerance   when a number is right (3 significant digits) and when two evaluations agree
    exercise    one exercise: numbers, questions, answers (cached)
    grading     marking one answer or all of them, with the mistake named or a hint
    session     one question at a time, two tries each (the terminal's exercise)
    steps       the explorer's step-through as questions: node values and edges' running products
    worksheet   sheets for a class (Markdown, LaTeX, PDF) and the teacher's key
    classroom   a class's answers marked against a key: per student, per question
    files       reading the files people make (answers, class lists, keys): bounded, UTF-8
    mathml      our notation as MathML, for pages that need no script to show math
    slides      a lesson as a self-contained HTML deck, one factor per click
"""

from .answers import Answer, AnswerError, parse_answer
from .draw import seed_for_student
from .exercise import Exercise, build
from .grading import Result, Verdict, check, grade

__all__ = ["Answer", "AnswerError", "parse_answer", "seed_for_student", "Exercise", "build", "Verdict", "Result",
           "check", "grade"]
