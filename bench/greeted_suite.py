"""The FAQ suite's single questions with a greeting before each, and the same questions without.

Customers open with a greeting ("السلام عليكم، ..." / "Hi, ..."). This writes two suites from
`evals/suites/faq-ar.yaml`: its Arabic and English cases that are one message (no history, no
offer to pick from), each opened with a greeting in its language (GREETED), and the same cases
as written (PLAIN), so that the two reports compare the same questions:

    python3 bench/greeted_suite.py evals/suites/faq-ar.yaml GREETED.yaml PLAIN.yaml
    switchboard eval run GREETED.yaml --kb KB
    switchboard eval run PLAIN.yaml --kb KB

Needs pyyaml.
"""

import copy
import sys

import yaml

GREETINGS = {"ar-ar": "السلام عليكم، ", "en-ar": "Hi, "}


def main(suite_path, greeted_path, plain_path):
    suite = yaml.safe_load(open(suite_path, encoding="utf-8"))
    plain = []
    for case in suite["cases"]:
        tags = case.get("tags", [])
        pair = next((tag for tag in tags if tag in GREETINGS), None)
        if pair is None or "follow-up" in tags or "offer" in tags or case["input"].get("history"):
            continue
        plain.append(case)
    greeted = copy.deepcopy(plain)
    for case in greeted:
        pair = next(tag for tag in case["tags"] if tag in GREETINGS)
        case["input"]["message"] = GREETINGS[pair] + case["input"]["message"]
    for path, name, cases in ((greeted_path, "greeted", greeted), (plain_path, "plain", plain)):
        written = dict(suite, name=f"{suite['name']}-{name}", cases=cases)
        with open(path, "w", encoding="utf-8") as file:
            yaml.safe_dump(written, file, allow_unicode=True, sort_keys=False)
    print(f"{len(plain)} cases in each")


if __name__ == "__main__":
    main(*sys.argv[1:])
