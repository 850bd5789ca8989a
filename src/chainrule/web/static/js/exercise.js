// Exercise mode of the step-through page ("I'll compute it"): before each step is revealed, the learner
// computes it, and the explorer's exercise API marks the answer.
//
// The questions come from POST /api/exercise/steps (chainrule.exercises.steps): first each computed node's
// value in the forward pass (id "node:N"), then, in the order backpropagation visits the edges, the running
// product each edge carries (id "edge:E"). POST /api/exercise/check marks one answer: right or wrong, and when
// the mistake can be named (a flipped sign, a missing factor, one path of several…) its diagnosis and its cause
// (the factor left out, with its value, as chainrule check --fn names it). The learner's own answers to the
// steps before go with it (earlier): an answer computed rightly from their own wrong one is right (it follows
// from it, marked where it went wrong), and a wrong product is read against their own ∂C/∂m.
//
// The learner's progress is a string of marks in the URL, one per question answered, in order:
//   r  right at the first try,   s  right at the second try,   a  the answer shown after two misses.
// So a link holds the lesson, the learner's numbers (seed) and how far they got, with how each step went.
// This file holds what the mode knows; backprop.js draws it.
"use strict";

const EXERCISE = (() => {
  const MARKS = { r: "right first time", s: "right at the second try", a: "shown after two tries" };
  const TRIES = 2; // after this many misses the answer is shown and the step revealed

  /** The marks in the address, checked: {marks, problem} (a problem keeps the marks before it). */
  function parseMarks(raw, count) {
    const text = raw || "";
    const good = /^[rsa]*$/.test(text);
    const marks = good ? text.slice(0, count) : text.slice(0, Math.max(0, text.search(/[^rsa]/))).slice(0, count);
    if (good && text.length <= count) return { marks, problem: "" };
    return {
      marks,
      problem: `marks in the address: “${text.slice(0, 24)}” is not allowed; allowed: up to ${count} of the letters ` +
        `r (${MARKS.r}), s (${MARKS.s}) and a (${MARKS.a}). Keeping the first ${marks.length}.`,
    };
  }

  /** A seed in the address: a whole number, or none (the lesson's own numbers). */
  function parseSeed(raw) {
    if (raw === null || raw === undefined || raw === "") return { seed: null, problem: "" };
    if (/^\d{1,10}$/.test(raw.trim())) return { seed: Number(raw.trim()), problem: "" };
    return { seed: null, problem: `seed in the address: “${raw.slice(0, 24)}” is not a whole number; showing the lesson's own numbers.` };
  }

  /** Where the learner is: how many node questions are answered, how many edges shown, the question asked now. */
  function progress(questions, marks) {
    const nodes = questions.filter((q) => q.id.startsWith("node:")).length;
    const done = marks.length;
    return {
      nodes,
      nodesDone: Math.min(done, nodes),
      edgesShown: Math.max(0, done - nodes),
      current: done < questions.length ? questions[done] : null,
      index: done,
    };
  }

  /** Each answered node's and edge's mark class ("mark-r", …), and the class of what is asked now. */
  function classes(questions, marks) {
    const node = new Map(), edge = new Map();
    questions.forEach((q, k) => {
      const [kind, id] = q.id.split(":");
      const target = kind === "node" ? node : edge;
      if (k < marks.length) target.set(Number(id), `mark-${marks[k]}`);
    });
    return { node, edge };
  }

  /** The question the page asks about an id: "node:2" → {kind: "node", id: 2}. */
  function about(question) {
    const [kind, id] = question.id.split(":");
    return { kind, id: Number(id) };
  }

  /** The questions must follow the trace: the nodes it computes, then its events' edges in order. */
  function follows(questions, trace) {
    const edges = questions.filter((q) => q.id.startsWith("edge:")).map((q) => q.id);
    return edges.length === trace.events.length && edges.every((id, k) => id === `edge:${trace.events[k].edge}`);
  }

  /** What the page says about a verdict after `tries` misses so far (this one included if wrong). */
  function feedback(verdict, tries) {
    if (verdict.correct) {
      return { kind: "right", text: `Right${tries ? " at the second try" : ""}: ${verdict.answer}.`, note: verdict.note || "" };
    }
    const what = verdict.diagnosis || `${verdict.name}: you gave ${verdict.given}; that is not it.`;
    if (tries >= TRIES) return { kind: "shown", text: `${what} After ${TRIES} tries, the answer: ${verdict.answer}.`, note: "" };
    return { kind: "wrong", text: what, note: verdict.hint ? `Hint: ${verdict.hint}.` : "" };
  }

  /** The learner's own answers to the questions before the `index`th, as the check's `earlier` field (their
   *  last try at each; a step answered before this page was loaded has none, and is taken as right). */
  function earlier(questions, answers, index) {
    return questions.slice(0, index).filter((q) => Object.hasOwn(answers, q.id))
      .map((q) => ({ question: q.id, answer: answers[q.id] }));
  }

  /** "6 of 8: 5 right first time, 1 at the second try, 0 shown". */
  function score(marks, total) {
    const count = (m) => [...marks].filter((x) => x === m).length;
    return `${marks.length} of ${total} answered: ${count("r")} right first time, ${count("s")} at the second try, ` +
      `${count("a")} shown`;
  }

  return { MARKS, TRIES, parseMarks, parseSeed, progress, classes, about, follows, feedback, earlier, score };
})();
