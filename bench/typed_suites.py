"""The FAQ suite's single questions as customers type them, and the same questions as written.

Customers rarely send a bare, tidy question: they open with a greeting ("السلام عليكم، ..."), ask
politely ("لو سمحت ...", "Please, ..."), thank in the same message ("... شكرا"), add an emoji,
stretch Arabic words with tatweel ("كـــم"), shout in capitals, and on a phone often leave out the
question mark, or type the whole question in lower case without it. This writes, from
`evals/suites/faq-ar.yaml`'s Arabic and English cases that are one message (no history, no offer
to pick from), one suite per way of typing, each case's message typed so in the case's language,
and `plain.yaml` with the same cases as written, so that the reports compare the same questions:

    python3 bench/typed_suites.py evals/suites/faq-ar.yaml DIR
    for suite in DIR/*.yaml; do switchboard eval run $suite --kb KB; done

Needs pyyaml.
"""

import copy
import os
import re
import sys

import yaml



def wrapped(before, after):
    """Per language pair, what goes before the message and what after."""
    return lambda message, pair: before[pair] + message + after[pair]


def stretched(message, pair):
    """Arabic words of four letters or more with two tatweels after their first letter."""
    return re.sub(r"([\u0628-\u064a])([\u0628-\u064a]{3,})", "\\1\u0640\u0640\\2", message) if pair == "ar-ar" else message


def unmarked(message, pair):
    """Without the question mark (or full stop) it ends with."""
    return re.sub(r"[\s?؟.]+$", "", message)


NONE = {"ar-ar": "", "en-ar": ""}
TYPED = {
    "greeted": wrapped({"ar-ar": "السلام عليكم، ", "en-ar": "Hi, "}, NONE),
    "please-before": wrapped({"ar-ar": "لو سمحت ", "en-ar": "Please, "}, NONE),
    "thanks-after": wrapped(NONE, {"ar-ar": " شكرا", "en-ar": " thanks"}),
    "emoji-after": wrapped(NONE, {"ar-ar": " 🙏", "en-ar": " 🙏"}),
    "stretched": stretched,
    "shouted": lambda message, pair: message.upper() if pair == "en-ar" else message,
    "unmarked": unmarked,
    "lower-unmarked": lambda message, pair: unmarked(message.lower() if pair == "en-ar" else message, pair),
}


def main(suite_path, directory):
    suite = yaml.safe_load(open(suite_path, encoding="utf-8"))
    plain = [
        case
        for case in suite["cases"]
        if any(tag in ("ar-ar", "en-ar") for tag in case.get("tags", []))
        and not case["input"].get("history")
    ]
    os.makedirs(directory, exist_ok=True)
    suites = {"plain": plain}
    for kind, typed in TYPED.items():
        cases = copy.deepcopy(plain)
        for case in cases:
            pair = next(tag for tag in case["tags"] if tag in ("ar-ar", "en-ar"))
            case["input"]["message"] = typed(case["input"]["message"], pair)
        suites[kind] = cases
    for kind, cases in suites.items():
        with open(os.path.join(directory, f"{kind}.yaml"), "w", encoding="utf-8") as file:
            yaml.safe_dump(dict(suite, name=f"{suite['name']}-{kind}", cases=cases), file, allow_unicode=True, sort_keys=False)
    print(f"{len(plain)} cases in each of {len(suites)} suites")


if __name__ == "__main__":
    main(*sys.argv[1:])
