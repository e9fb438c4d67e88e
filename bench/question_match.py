"""Calibrates the FAQ question match from an eval report (`switchboard eval run ... --json`).

For every case the trace holds the knowledge's question closest to the customer's (its cosine)
and the retrieval confidence. Cases that give key facts should pass the gate, cases tagged
`unanswerable` should not. Per language pair (the case's `ar-ar` / `en-ar` / `en-en` /
`ar-en` tag), this prints how the two kinds of case spread, and for candidate thresholds how
many answerable questions get through and how many unanswerable ones are declined.

    python3 bench/question_match.py report.json [report.json ...]
"""

import json
import sys

PAIRS = ("ar-ar", "en-ar", "en-en", "ar-en")


def cases(paths):
    for path in paths:
        with open(path, encoding="utf-8") as file:
            report = json.load(file)
        for case in report["cases"]:
            turn = case.get("turn") or {}
            trace = turn.get("trace") or {}
            matched = trace.get("matched_question") or {}
            confidence = trace.get("confidence") or {}
            checks = {check["name"]: check for check in case.get("checks", [])}
            if "facts" in checks:
                kind = "answerable"
            elif "unanswerable" in case["tags"]:
                kind = "unanswerable"
            else:
                continue
            pair = next((tag for tag in case["tags"] if tag in PAIRS), "?")
            yield {
                "id": case["id"],
                "pair": pair,
                "kind": kind,
                "match": matched.get("similarity"),
                "confidence": confidence.get("similarity", 0) + 0.1 * confidence.get("coverage", 0),
                "facts": checks.get("facts", {}).get("passed"),
            }


def spread(values):
    values = sorted(value for value in values if value is not None)
    if not values:
        return "-"
    pick = lambda fraction: values[min(int(len(values) * fraction), len(values) - 1)]
    return f"n={len(values)} min {values[0]:.3f} p10 {pick(0.1):.3f} p50 {pick(0.5):.3f} p90 {pick(0.9):.3f} max {values[-1]:.3f}"


def main(paths):
    rows = list(cases(paths))
    for pair in PAIRS:
        chosen = [row for row in rows if row["pair"] == pair]
        if not chosen:
            continue
        answerable = [row for row in chosen if row["kind"] == "answerable"]
        unanswerable = [row for row in chosen if row["kind"] == "unanswerable"]
        print(f"## {pair}: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
        print(f"question match, answerable:   {spread(row['match'] for row in answerable)}")
        print(f"question match, unanswerable: {spread(row['match'] for row in unanswerable)}")
        print(f"confidence, answerable:       {spread(row['confidence'] for row in answerable)}")
        print(f"confidence, unanswerable:     {spread(row['confidence'] for row in unanswerable)}")
        print("| threshold | answerable through | unanswerable declined |")
        print("|---|---|---|")
        for step in range(80, 96):
            threshold = step / 100
            through = sum(1 for row in answerable if (row["match"] or 0) >= threshold)
            declined = sum(1 for row in unanswerable if (row["match"] or 0) < threshold)
            print(
                f"| {threshold:.2f} | {through}/{len(answerable)} | {declined}/{len(unanswerable)} |"
            )
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
