"""Rewrites and signals tried on the FAQ development sets and not kept (docs/calibration.md).

Outside the service, on whole entries, with the service's entry score (the mean of the
question's cosines with the entry's question, the whole entry and its closest line), after
the dialect words are written in standard Arabic as the service does (`colloquial.py`):

1. Arabic question words written as the FAQ writes them: the same word once hamza, taa
   marbuta and alef maqsura are unified ("letters"), and the FAQ's one word one edit away
   (a typo) from five or four letters ("typo5", "typo4").
2. "الذي" (from the dialect's "اللي") as "التي" after a word ending in ة or ات.
3. English questions moved towards Arabic ones: the mean of ARCD's Arabic questions minus the
   mean of SciFact's English claims, times a, added to the question's vector.
4. The English question's words given their Arabic by the tables of
   `agentflow/src/code_switching.rs`, and the share of them the entry (or its question) holds
   added to the score with a weight.
5. Offering the entries within a margin of the first under an answer: how many wrong first
   entries the offer would reach, and how many right answers would carry it.

    python3 bench/tried_signals.py MODEL_DIR ../shared/data

Needs numpy, onnxruntime, tokenizers and pyyaml.
"""

import json
import os
import re
import sys

import numpy as np
import yaml

from colloquial import scorer, standard, word_list
from entry_views import Model, auc, entries
from question_match import matching_form

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = os.path.join(HERE, "..", "evals", "suites")
ARABIC_WORD = r"[\u0621-\u064a]+"
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءئؤ"


def answerable(units, suite, tag):
    """(message, indices of the entries holding a key fact) of the suite's cases with `tag`."""
    found = []
    for case in yaml.safe_load(open(os.path.join(SUITES, suite), encoding="utf-8"))["cases"]:
        tags = case.get("tags", [])
        facts = [matching_form(fact) for fact in (case.get("expect") or {}).get("facts", [])]
        if facts and tag in tags and "followup" not in tags:
            text = lambda unit: matching_form(unit["question"] + "\n" + "\n".join(unit["lines"]))
            found.append((case["input"]["message"], [i for i, unit in enumerate(units) if any(f in text(unit) for f in facts)]))
    return found


def unanswerable(suite, tag):
    cases = yaml.safe_load(open(os.path.join(SUITES, suite), encoding="utf-8"))["cases"]
    return [case["input"]["message"] for case in cases if tag in case.get("tags", []) and "unanswerable" in case.get("tags", [])]


def held_out():
    lines = open(os.path.join(HERE, "colloquial-questions.tsv"), encoding="utf-8").read().splitlines()
    return [(message, [int(number)]) for number, message in (line.split("\t") for line in lines)]


def ranks(scores, cases):
    first = sum(np.argmax(row) in right for row, (_, right) in zip(scores, cases))
    three = sum(bool(set(np.argsort(-row)[:3]) & set(right)) for row, (_, right) in zip(scores, cases))
    return f"right entry first {first}/{len(cases)}, in the first three {three}"


def gate_auc(scores, cases, declined):
    right = [row.max() for row, (_, entries_) in zip(scores, cases) if np.argmax(row) in entries_]
    wrong = [row.max() for row in declined] + [row.max() for row, (_, entries_) in zip(scores, cases) if np.argmax(row) not in entries_]
    return auc(right, wrong)


def unified(word):
    word = re.sub("[\u064b-\u065f\u0670\u0640]", "", word)
    for written, read in (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه")):
        word = word.replace(written, read)
    return word


def one_edit(word):
    near = set()
    for i in range(len(word) + 1):
        near.update(word[:i] + letter + word[i:] for letter in LETTERS)
        if i < len(word):
            near.add(word[:i] + word[i + 1 :])
            near.update(word[:i] + letter + word[i + 1 :] for letter in LETTERS)
        if i < len(word) - 1:
            near.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return near


def in_faq_spelling(units):
    counts = {}
    for unit in units:
        for word in re.findall(ARABIC_WORD, unit["question"] + "\n" + "\n".join(unit["lines"])):
            counts.setdefault(unified(word), {}).setdefault(word, 0)
            counts[unified(word)][word] += 1
    written = {word for forms in counts.values() for word in forms}
    usual = {form: max(words, key=words.get) for form, words in counts.items()}

    def respell(text, least_typo_letters):
        def one(match):
            word = match.group(0)
            if word in written:
                return word
            if unified(word) in usual:
                return usual[unified(word)]
            if least_typo_letters and len(unified(word)) >= least_typo_letters:
                near = {usual[edit] for edit in one_edit(unified(word)) if edit in usual}
                if len(near) == 1:
                    return near.pop()
            return word

        return re.sub(ARABIC_WORD, one, text)

    return respell


def feminine_relative(text):
    return re.sub(r"([\u0621-\u064a]+(?:ة|ات))(\s+)الذي", r"\1\2التي", text)


def arabic_terms():
    source = open(os.path.join(HERE, "..", "agentflow", "src", "code_switching.rs"), encoding="utf-8").read()
    table = {}
    for name in ("PHRASES", "THINGS", "ACTIONS"):
        table.update(re.findall(r'\("([^"]+)", "([^"]+)"\)', source.split(f"const {name}")[1].split("];")[0]))

    def bare(word):
        word = matching_form(word)
        for article in ("وال", "بال", "لل", "ال"):
            if word.startswith(article) and len(word) - len(article) >= 3:
                return word[len(article) :]
        return word

    def of(question):
        words, found, i = re.findall(r"[a-z]+", question.lower()), [], 0
        while i < len(words):
            pair = " ".join(words[i : i + 2])
            if pair in table:
                found.append(table[pair])
                i += 2
                continue
            if words[i] in table:
                found.append(table[words[i]])
            i += 1
        return [[bare(word) for word in term.split()] for term in found]

    return of, bare


def main(model_dir, data):
    model = Model(model_dir)
    units = entries(os.path.join(data, "knowledge", "sleekflow-faq-ar.txt"))
    score = scorer(model, units)
    words = word_list()
    arabic = {
        "faq-ar, Arabic": answerable(units, "faq-ar.yaml", "ar-ar"),
        "faq-code-switch, Arabic letters": answerable(units, "faq-code-switch.yaml", "arabic-letters"),
        "written after the word list": held_out(),
    }
    english = answerable(units, "faq-ar.yaml", "en-ar")
    english_declined = unanswerable("faq-ar.yaml", "en-ar")

    print("## 1-2. Arabic questions rewritten")
    respell = in_faq_spelling(units)
    for name, cases in arabic.items():
        asked = [standard(message, words) for message, _ in cases]
        for label, messages in (
            ("as the service asks", asked),
            ("letters", [respell(m, 0) for m in asked]),
            ("typo5", [respell(m, 5) for m in asked]),
            ("typo4", [respell(m, 4) for m in asked]),
            ("التي", [feminine_relative(m) for m in asked]),
        ):
            changed = sum(a != b for a, b in zip(asked, messages))
            print(f"{name:<34} {label:<20} {ranks(score(messages), cases)}; {changed} rewritten")

    print("\n## 3. English questions moved towards Arabic ones")
    load = lambda path: [json.loads(line)["text"].strip(" -") for line in open(path, encoding="utf-8")][:400]
    shift = model.embed(load(os.path.join(data, "retrieval", "arcd-ar", "queries.jsonl")), "query: ").mean(0) - model.embed(
        load(os.path.join(data, "retrieval", "scifact", "queries.jsonl")), "query: "
    ).mean(0)
    questions = model.embed([message for message, _ in english], "query: ")
    declined = model.embed(english_declined, "query: ")
    for weight in (0, 0.25, 0.5, 1.0):
        moved = lambda vectors: (vectors + weight * shift) / np.linalg.norm(vectors + weight * shift, axis=1, keepdims=True)
        scores, declined_scores = score.of_vectors(moved(questions)), score.of_vectors(moved(declined))
        print(f"a = {weight:<5} {ranks(scores, english)}; gate AUC {gate_auc(scores, english, declined_scores):.3f}")

    print("\n## 4. English questions' words in Arabic, as a lexical bonus")
    terms_of, bare = arabic_terms()
    whole = [{bare(w) for w in re.findall(ARABIC_WORD, unit["question"] + " " + " ".join(unit["lines"]))} for unit in units]
    asked_only = [{bare(w) for w in re.findall(ARABIC_WORD, unit["question"])} for unit in units]
    base, base_declined = score([m for m, _ in english]), score(english_declined)
    for where_name, where in (("the entry", whole), ("its question", asked_only)):
        def share(message):
            terms = terms_of(message)
            if not terms:
                return np.zeros(len(units))
            return np.array([sum(all(w in where[i] for w in term) for term in terms) / len(terms) for i in range(len(units))])

        bonus = np.array([share(m) for m, _ in english])
        bonus_declined = np.array([share(m) for m in english_declined])
        for weight in (0, 0.005, 0.01, 0.02):
            scores, declined_scores = base + weight * bonus, base_declined + weight * bonus_declined
            print(f"{where_name:<13} w = {weight:<6} {ranks(scores, english)}; gate AUC {gate_auc(scores, english, declined_scores):.3f}")

    print("\n## 5. Offering the entries close to the first under an answer")
    for name, cases in (("faq-ar, Arabic", [(standard(m, words), r) for m, r in arabic["faq-ar, Arabic"]]), ("faq-ar, English", english)):
        scores = score([m for m, _ in cases])
        for margin in (0.005, 0.01, 0.02):
            reached = carried = wrong = 0
            for row, (_, right) in zip(scores, cases):
                order = list(np.argsort(-row))
                near = [i for i in order[1:3] if row[order[0]] - row[i] <= margin]
                if order[0] in right:
                    carried += bool(near)
                else:
                    wrong += 1
                    reached += any(i in right for i in near)
            print(f"{name:<16} within {margin:<6} wrong first entries reached {reached}/{wrong}; right answers carrying an offer {carried}/{len(cases) - wrong}")


if __name__ == "__main__":
    main(*sys.argv[1:])
