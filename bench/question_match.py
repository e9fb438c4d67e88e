"""Calibrates the FAQ entry match from an eval report (`switchboard eval run ... --json`).

For every case the trace holds the FAQ entry ranked first and its match with the customer's
question (`matched_question.score`, the mean of three cosines), even when the gate declined.
Answerable cases should pass the gate with an entry that holds their key fact; cases tagged
`unanswerable` should not pass. Per language pair (the case's `ar-ar` / `en-ar` tag), this
prints how the two kinds spread and, for candidate bounds, how many answerable questions pass
with the right entry, how many pass at all, and how many unanswerable ones are declined.

    python3 bench/question_match.py report.json [report.json ...]
"""

import json
import re
import sys
import unicodedata

PAIRS = ("ar-ar", "en-ar", "en-en", "ar-en")


def matching_form(text):
    """The eval's fact matching, roughly: case, diacritics, tatweel and letter forms ignored."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub("[\u064b-\u0652\u0640]", "", text)
    for written, read in (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ة", "ه"), ("ى", "ي")):
        text = text.replace(written, read)
    return text


def cases(paths):
    for path in paths:
        with open(path, encoding="utf-8") as file:
            report = json.load(file)
        for case in report["cases"]:
            turn = case.get("turn") or {}
            trace = turn.get("trace") or {}
            matched = trace.get("matched_question")
            checks = {check["name"]: check for check in case.get("checks", [])}
            if "facts" in checks:
                kind = "answerable"
            elif "unanswerable" in case["tags"]:
                kind = "unanswerable"
            else:
                continue
            if matched is None or "follow-up" in case["tags"]:
                continue
            facts = [matching_form(fact) for fact in re.findall(r'"([^"]*)"', checks.get("facts", {}).get("detail", ""))]
            first = matching_form((trace.get("retrieved") or [{}])[0].get("text", ""))
            pair = next((tag for tag in case["tags"] if tag in PAIRS), "?")
            yield {
                "pair": pair,
                "kind": kind,
                "score": matched["score"],
                "right": any(fact in first for fact in facts),
            }


def spread(values):
    values = sorted(values)
    if not values:
        return "-"
    pick = lambda fraction: values[min(int(len(values) * fraction), len(values) - 1)]
    return f"n={len(values)} p10 {pick(0.1):.3f} p50 {pick(0.5):.3f} p90 {pick(0.9):.3f}"


def main(paths):
    rows = list(cases(paths))
    for pair in PAIRS:
        chosen = [row for row in rows if row["pair"] == pair]
        if not chosen:
            continue
        answerable = [row for row in chosen if row["kind"] == "answerable"]
        unanswerable = [row for row in chosen if row["kind"] == "unanswerable"]
        right = sum(row["right"] for row in answerable)
        print(f"## {pair}: {len(answerable)} answerable ({right} with the right entry first), {len(unanswerable)} unanswerable")
        print(f"entry match, answerable:   {spread([row['score'] for row in answerable])}")
        print(f"entry match, unanswerable: {spread([row['score'] for row in unanswerable])}")
        print("| bound | answerable through with the right entry | through | unanswerable declined |")
        print("|---|---|---|---|")
        for step in range(160, 182):
            bound = step / 200
            through = [row for row in answerable if row["score"] >= bound]
            declined = sum(1 for row in unanswerable if row["score"] < bound)
            print(f"| {bound:.3f} | {sum(row['right'] for row in through)}/{len(answerable)} | {len(through)} | {declined}/{len(unanswerable)} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
