"""The questions an eval report answers wrongly, and why (for the closing notes of issue 13).

For every case that gives key facts and whose reply carries none, and every case the knowledge
does not answer that was answered anyway, this prints one line: the case, the message, what
happened and the FAQ entry ranked first with its score. What happened is one of:

- declined, right entry first: the entry holding a fact ranked first but scored under the gate;
- declined, wrong entry first: the entry ranked first does not hold a fact;
- answered from a wrong entry: the reply came from an entry (or passage) without a fact;
- right entry, fact left out: the entry holding a fact answered, but the reply's sentences
  left the fact out (a long entry cut to the reply's budget);
- answered, not answerable: the knowledge does not answer it, and the gate let it through.

    python3 bench/failures.py report.json [report.json ...]
"""

import json
import re
import sys

from question_match import matching_form


def declined(turn):
    return turn.get("unanswered") is True or (
        turn.get("action") == "handoff" and (turn.get("reason") or {}).get("code") == "low_confidence"
    )


def why(case):
    turn = case.get("turn") or {}
    trace = turn.get("trace") or {}
    checks = {check["name"]: check for check in case.get("checks", [])}
    matched = trace.get("matched_question") or {}
    first = (trace.get("retrieved") or [{}])[0].get("text", "")
    entry = f"{matched.get('question', '(no entry)')} {matched.get('score', 0):.3f}" if matched else "(no entry)"
    if "facts" in checks and not checks["facts"]["passed"]:
        facts = [matching_form(fact) for fact in re.findall(r'"([^"]*)"', checks["facts"]["detail"])]
        holds = any(fact in matching_form(first) for fact in facts)
        if declined(turn):
            return ("declined, right entry first" if holds else "declined, wrong entry first"), entry
        return ("right entry, fact left out" if holds else "answered from a wrong entry"), entry
    if "answered" in checks and not checks["answered"]["passed"] and "unanswerable" in case["tags"]:
        return "answered, not answerable", entry
    return None


def main(paths):
    counts = {}
    for path in paths:
        with open(path, encoding="utf-8") as file:
            report = json.load(file)
        for case in report["cases"]:
            found = why(case)
            if found is None:
                continue
            reason, entry = found
            counts[reason] = counts.get(reason, 0) + 1
            print(f"- `{case['id']}` \"{case['message']}\": {reason}; first: {entry}")
    print()
    for reason, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"{reason}: {count}")


if __name__ == "__main__":
    main(sys.argv[1:])
