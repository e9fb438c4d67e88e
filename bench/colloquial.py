"""Whether asking colloquial Arabic in standard Arabic finds the FAQ entry that answers.

Outside the service, on whole entries, with the entry scoring the service uses (the mean of
the question's cosines with the entry's question, the whole entry and its closest line): each
colloquial question is scored as written and rewritten with the word list of
`agentflow/src/colloquial.rs` (read from that file, so the two cannot drift apart). Prints how
often the right entry comes first and in the first three, on the eval suite's Arabic cases and
on `bench/colloquial-questions.tsv`, questions written after the word list and not used to
choose it (the FAQ entry's number, a tab, the question).

    python3 bench/colloquial.py MODEL_DIR FAQ.txt SUITE.yaml

Needs numpy, onnxruntime, tokenizers and pyyaml.
"""

import os
import re
import sys

import numpy as np
import yaml

from entry_views import Model, entries
from question_match import matching_form

HERE = os.path.dirname(os.path.abspath(__file__))


def word_list():
    """The word table, the joined prefixes and the prefixed words' least length, from the Rust source."""
    source = open(os.path.join(HERE, "..", "agentflow", "src", "colloquial.rs"), encoding="utf-8").read()
    table = source.split("const STANDARD")[1].split("];")[0]
    text = open(os.path.join(HERE, "..", "agentflow", "src", "text.rs"), encoding="utf-8").read()
    prefixes = re.findall(r'"([^"]+)"', text.split("const JOINED_PREFIXES")[1].split("];")[0])
    least = int(re.search(r"const MIN_PREFIXED_LETTERS: usize = (\d+);", source).group(1))
    return dict(re.findall(r'\("([^"]+)", "([^"]+)"\)', table)), prefixes, least


def standard(text, words):
    table, prefixes, least = words

    def replace(match):
        form = matching_form(match.group(0))
        if form in table:
            return table[form]
        for prefix in prefixes:
            rest = form[len(prefix) :]
            if form.startswith(prefix) and rest in table and " " not in table[rest] and len(rest) >= least:
                return prefix + table[rest]
        return match.group(0)

    out, previous = [], ""
    for piece in re.split(r"([\u0621-\u065f\u0670-\u06d3]+)", text):
        is_word = bool(re.fullmatch(r"[\u0621-\u065f\u0670-\u06d3]+", piece))
        if is_word and previous not in ("بن", "ابن", "بنت"):
            out.append(re.sub(r".+", replace, piece))
        else:
            out.append(piece)
        if is_word:
            previous = matching_form(piece)
    return "".join(out)


def scorer(model, units):
    questions = model.embed([unit["question"] for unit in units], "query: ")
    passages = model.embed([unit["question"] + "\n" + "\n".join(unit["lines"]) for unit in units], "passage: ")
    lines = [(index, line) for index, unit in enumerate(units) for line in unit["lines"]]
    by_line = model.embed([line for _, line in lines], "passage: ")
    owner = np.array([index for index, _ in lines])

    def of_vectors(asked):
        lines = asked @ by_line.T
        closest = np.stack([lines[:, owner == index].max(axis=1) for index in range(len(units))], axis=1)
        return (asked @ questions.T + asked @ passages.T + closest) / 3

    def score(messages):
        return of_vectors(model.embed(messages, "query: "))

    # Questions already embedded (and moved, say) are scored the same way.
    score.of_vectors = of_vectors
    return score


def report(name, score, cases, words):
    messages = [message for message, _ in cases]
    for label, scores in (("as written", score(messages)), ("standard", score([standard(m, words) for m in messages]))):
        first = sum(np.argmax(row) in right for row, (_, right) in zip(scores, cases))
        three = sum(bool(set(np.argsort(-row)[:3]) & set(right)) for row, (_, right) in zip(scores, cases))
        print(f"{name:<28} {label:<10} right entry first {first}/{len(cases)}, in the first three {three}/{len(cases)}")


def main(model_dir, faq, suite_path):
    model = Model(model_dir)
    units = entries(faq)
    words = word_list()
    score = scorer(model, units)
    suite = []
    for case in yaml.safe_load(open(suite_path, encoding="utf-8"))["cases"]:
        tags = case.get("tags", [])
        facts = [matching_form(fact) for fact in (case.get("expect") or {}).get("facts", [])]
        if "ar-ar" not in tags or "followup" in tags or not facts:
            continue
        right = [i for i, unit in enumerate(units) if any(f in matching_form(unit["question"] + "\n" + "\n".join(unit["lines"])) for f in facts)]
        suite.append((case["input"]["message"], right))
    report("suite, Arabic answerable", score, suite, words)
    held_out = []
    for line in open(os.path.join(HERE, "colloquial-questions.tsv"), encoding="utf-8"):
        number, message = line.rstrip("\n").split("\t")
        held_out.append((message, [int(number)]))
    report("written after the list", score, held_out, words)


if __name__ == "__main__":
    main(*sys.argv[1:])
