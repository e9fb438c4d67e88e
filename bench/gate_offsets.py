"""Signals tried on the FAQ development set in the session of 2026-12-07 and not kept
(docs/calibration.md, "Found on the development set, lost on held-out questions").

Outside the service, on whole entries, with the service's entry score (the mean of the
question's cosines with the entry's question, the whole entry and its closest line). Each is
measured on the development set (`evals/suites/faq-ar.yaml`) and on thirty English questions
written afterwards and kept out of it (`bench/faq-en-heldout.yaml`):

1. the gate's score minus the question's cosine with the FAQ's centroid (the mean of its
   entries' question, passage and line vectors): per question, how much the best entry stands
   out from the FAQ as a whole; compared with the score itself by the AUC of right first
   entries against unanswerable questions, and by how many right first entries pass at the
   bound that declines all but one unanswerable question;
2. a bonus for a question frame the customer's question shares with the entry's ("what is",
   "how do I", "how much", "what can I do with", ...), in English and Arabic;
3. a linear map of the question vector fitted on the FAQ's own question-to-passage pairs
   (ridge regression towards the identity).

    python3 bench/gate_offsets.py MODEL_DIR ../shared/data/knowledge/sleekflow-faq-ar.txt

Needs numpy, onnxruntime, tokenizers and pyyaml.
"""

import re
import sys

import numpy as np

from entry_views import PAIRS, Model, auc, entries, suite_cases
from question_match import matching_form

FRAMES = {
    "define": [r"^what is\b", r"^what's\b", r"^what are\b", r"\bما (هو|هي)\b", r"\b(شو|ايش|وش|ايه) (هو|هي)\b"],
    "howto": [r"\bhow (do|can|should) (i|we)\b", r"\bhow to\b", r"\bwalk me through\b", r"\bكيف\b", r"\bازاي\b", r"\bشلون\b"],
    "cost": [r"\bhow much\b", r"\bprice", r"\bcost", r"\bfee", r"\bfree\b", r"\bبكم\b", r"\bتكلف", r"\bسعر", r"\bرسوم\b", r"\bمجان"],
    "difference": [r"\bdifferen", r"\bvs\b", r"\bالفرق\b", r"\bيختلف\b"],
    "need": [r"\bdo i need\b", r"\bاحتاج\b", r"\bلازم\b", r"\bيجب\b"],
    "whatcando": [r"\bwhat can (i|we|you)\b", r"\bماذا يمكنني\b", r"\bايه اللي اقدر\b", r"\bوش اقدر\b"],
    "when": [r"\bwhen\b", r"\bمتي\b"],
}


def frames(text):
    text = matching_form(text)
    return {name for name, patterns in FRAMES.items() if any(re.search(p, text) for p in patterns)}


def main(model_dir, faq):
    model = Model(model_dir)
    units = entries(faq)
    lines = [(index, line) for index, unit in enumerate(units) for line in unit["lines"]]
    owner = np.array([index for index, _ in lines])
    questions = model.embed([unit["question"] for unit in units], "query: ")
    passages = model.embed([unit["question"] + "\n" + "\n".join(unit["lines"]) for unit in units], "passage: ")
    by_line = model.embed([line for _, line in lines], "passage: ")
    centroid = (questions.mean(0) + passages.mean(0) + by_line.mean(0)) / 3
    ridge = 10.0
    adapter = np.linalg.solve(questions.T @ questions + ridge * np.eye(questions.shape[1]), questions.T @ passages + ridge * np.eye(questions.shape[1]))
    unit_frames = [frames(unit["question"]) for unit in units]

    def score(asked):
        line_scores = asked @ by_line.T
        closest = np.stack([line_scores[:, owner == i].max(axis=1) for i in range(len(units))], axis=1)
        return (asked @ questions.T + asked @ passages.T + closest) / 3

    for name, path in (("development set", "../evals/suites/faq-ar.yaml"), ("held-out English", "faq-en-heldout.yaml")):
        cases = suite_cases(path, units)
        asked = model.embed([case["message"] for case in cases], "query: ")
        base = score(asked)
        adapted = asked @ adapter
        adapted /= np.linalg.norm(adapted, axis=1, keepdims=True)
        bonus = np.array([[0.015 * len(frames(c["message"]) & unit_frames[j]) / max(1, len(frames(c["message"]))) for j in range(len(units))] for c in cases])
        print(f"== {name}")
        for label, scores in (("now", base), ("question frames", base + bonus), ("fitted linear map", score(adapted))):
            row = []
            for pair in PAIRS:
                chosen = [i for i, c in enumerate(cases) if c["answerable"] and c["pair"] == pair]
                if chosen:
                    row.append(f"{pair} right first {sum(np.argmax(scores[i]) in cases[i]['right'] for i in chosen)}/{len(chosen)}")
            print(f"  {label:<20} {'; '.join(row)}")
        best = base.max(axis=1)
        for label, signal in (("gate: score", best), ("gate: minus centroid", best - asked @ centroid)):
            for pair in PAIRS:
                right = [signal[i] for i, c in enumerate(cases) if c["answerable"] and c["pair"] == pair and np.argmax(base[i]) in c["right"]]
                unanswerable = sorted(signal[i] for i, c in enumerate(cases) if not c["answerable"] and c["pair"] == pair)
                if right and len(unanswerable) >= 2:
                    bound = unanswerable[-2]
                    passing = sum(value > bound for value in right)
                    print(f"  {label:<20} {pair} AUC {auc(right, unanswerable):.3f}; all but one of {len(unanswerable)} unanswerable declined: {passing}/{len(right)} right first entries pass")


if __name__ == "__main__":
    main(*sys.argv[1:])
