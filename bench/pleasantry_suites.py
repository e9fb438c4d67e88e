"""The FAQ suite's single questions with pleasantries around them, and the same questions without.

Customers rarely send a bare question: they open with a greeting ("السلام عليكم، ..."), ask
politely ("لو سمحت ...", "Please, ..."), thank in the same message ("... شكرا") and add an emoji.
This writes, from `evals/suites/faq-ar.yaml`'s Arabic and English cases that are one message (no
history, no offer to pick from), one suite per kind of pleasantry, each case's message wrapped
in it in the case's language, and `plain.yaml` with the same cases as written, so that the
reports compare the same questions:

    python3 bench/pleasantry_suites.py evals/suites/faq-ar.yaml DIR
    for suite in DIR/*.yaml; do switchboard eval run $suite --kb KB; done

Needs pyyaml.
"""

import copy
import os
import sys

import yaml

# Per kind, for the case's language pair: what goes before the message and what after.
PLEASANTRIES = {
    "greeted": {"ar-ar": ("السلام عليكم، ", ""), "en-ar": ("Hi, ", "")},
    "please-before": {"ar-ar": ("لو سمحت ", ""), "en-ar": ("Please, ", "")},
    "thanks-after": {"ar-ar": ("", " شكرا"), "en-ar": ("", " thanks")},
    "emoji-after": {"ar-ar": ("", " 🙏"), "en-ar": ("", " 🙏")},
}


def main(suite_path, directory):
    suite = yaml.safe_load(open(suite_path, encoding="utf-8"))
    plain = [
        case
        for case in suite["cases"]
        if any(tag in ("ar-ar", "en-ar") for tag in case.get("tags", []))
        and not {"follow-up", "offer"} & set(case.get("tags", []))
        and not case["input"].get("history")
    ]
    os.makedirs(directory, exist_ok=True)
    suites = {"plain": plain}
    for kind, around in PLEASANTRIES.items():
        wrapped = copy.deepcopy(plain)
        for case in wrapped:
            before, after = around[next(tag for tag in case["tags"] if tag in around)]
            case["input"]["message"] = before + case["input"]["message"] + after
        suites[kind] = wrapped
    for kind, cases in suites.items():
        with open(os.path.join(directory, f"{kind}.yaml"), "w", encoding="utf-8") as file:
            yaml.safe_dump(dict(suite, name=f"{suite['name']}-{kind}", cases=cases), file, allow_unicode=True, sort_keys=False)
    print(f"{len(plain)} cases in each of {len(suites)} suites")


if __name__ == "__main__":
    main(*sys.argv[1:])
