"""Which views of an FAQ entry find the entry a question asks about (docs/calibration.md).

Outside the service, on whole entries: each entry of a plain-text FAQ (a question line and the
lines up to the next one) is embedded as a question (query), as a passage, and line by line
(passages), with the same ONNX model and prefixes the service uses. For every answerable case
of an eval suite (one that gives key facts), the entries holding a fact are the right ones;
this prints, per language pair, how often each scoring puts a right entry first and in the
first two, the bootstrap interval of each scoring's gain over the sum of the question and
passage cosines, and how well the best score separates answerable from unanswerable cases.

    python3 bench/entry_views.py MODEL_DIR FAQ.txt SUITE.yaml

Needs numpy, onnxruntime, tokenizers and pyyaml.
"""

import sys

import numpy as np
import onnxruntime
import yaml
from tokenizers import Tokenizer

from question_match import matching_form

PAIRS = ("ar-ar", "en-ar")


def is_question(line):
    return line.endswith(("?", "؟")) and not line.startswith(("-", "*", "•", "|")) and len(line) <= 250


def entries(path):
    found = []
    for line in open(path, encoding="utf-8").read().splitlines():
        line = line.strip()
        if is_question(line):
            found.append({"question": line, "lines": []})
        elif found and line:
            found[-1]["lines"].append(line)
    return found


class Model:
    def __init__(self, directory):
        self.tokenizer = Tokenizer.from_file(f"{directory}/tokenizer.json")
        self.tokenizer.enable_truncation(512)
        self.tokenizer.enable_padding(pad_id=1, pad_token="<pad>")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(f"{directory}/model.onnx", options, providers=["CPUExecutionProvider"])

    def embed(self, texts, prefix):
        vectors = []
        for start in range(0, len(texts), 16):
            encodings = self.tokenizer.encode_batch([prefix + text for text in texts[start : start + 16]])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            vectors.extend(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.array(vectors)


def suite_cases(path, units):
    """The suite's questions asked alone, with their language pair, whether the FAQ answers
    them, and the entries holding one of their key facts."""
    cases = []
    for case in yaml.safe_load(open(path, encoding="utf-8"))["cases"]:
        tags = case.get("tags", [])
        pair = next((tag for tag in tags if tag in PAIRS), None)
        facts = [matching_form(fact) for fact in (case.get("expect") or {}).get("facts", [])]
        if pair is None or "follow-up" in tags or not (facts or "unanswerable" in tags):
            continue
        right = [i for i, unit in enumerate(units) if any(f in matching_form(unit["question"] + "\n" + "\n".join(unit["lines"])) for f in facts)]
        cases.append({"pair": pair, "message": case["input"]["message"], "right": right, "answerable": bool(facts)})
    return cases


def auc(positive, negative):
    return np.mean([(p > n) + 0.5 * (p == n) for p in positive for n in negative])


def main(model_dir, faq, suite_path):
    model = Model(model_dir)
    units = entries(faq)
    cases = suite_cases(suite_path, units)
    asked = model.embed([case["message"] for case in cases], "query: ")
    questions = asked @ model.embed([unit["question"] for unit in units], "query: ").T
    passages = asked @ model.embed([unit["question"] + "\n" + "\n".join(unit["lines"]) for unit in units], "passage: ").T
    lines = [(index, line) for index, unit in enumerate(units) for line in unit["lines"]]
    by_line = asked @ model.embed([line for _, line in lines], "passage: ").T
    owner = np.array([index for index, _ in lines])
    sentences = np.stack([by_line[:, owner == index].max(axis=1) if (owner == index).any() else passages[:, index] for index in range(len(units))], axis=1)
    scorings = {
        "passage": passages,
        "question": questions,
        "question + passage (before)": questions + passages,
        "question + passage + sentence (now)": (questions + passages + sentences) / 3,
    }
    answerable = [i for i, case in enumerate(cases) if case["answerable"]]
    first = lambda scores: np.array([np.argmax(scores[i]) in cases[i]["right"] for i in answerable], dtype=float)
    baseline = first(scorings["question + passage (before)"])
    rng = np.random.default_rng(0)
    print(f"{len(units)} entries, {len(answerable)} answerable cases, {len(cases) - len(answerable)} unanswerable")
    for name, scores in scorings.items():
        row = []
        for pair in PAIRS:
            chosen = [i for i in answerable if cases[i]["pair"] == pair]
            top1 = sum(np.argmax(scores[i]) in cases[i]["right"] for i in chosen)
            top2 = sum(bool(set(np.argsort(-scores[i])[:2]) & set(cases[i]["right"])) for i in chosen)
            row.append(f"{pair} first {top1}/{len(chosen)}, in two {top2}")
        gain = first(scores) - baseline
        boot = [gain[rng.integers(0, len(gain), len(gain))].mean() for _ in range(2000)]
        print(f"{name:<38} {'; '.join(row)}; all first {first(scores).sum():.0f}; gain 90% [{np.percentile(boot, 5):+.3f}, {np.percentile(boot, 95):+.3f}]")
    best = scorings["question + passage + sentence (now)"].max(axis=1)
    for pair in PAIRS:
        positive = [best[i] for i, c in enumerate(cases) if c["pair"] == pair and c["answerable"]]
        negative = [best[i] for i, c in enumerate(cases) if c["pair"] == pair and not c["answerable"]]
        print(f"gate {pair}: AUC of the best entry's score {auc(positive, negative):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
