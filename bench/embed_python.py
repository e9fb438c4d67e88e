"""The Python side of the embedding throughput benchmark: onnxruntime on the same ONNX model,
the same chunks and the same thread count as knowledge/benches/embed_throughput.rs.

Usage: python embed_python.py MODEL_DIR CHUNKS.jsonl THREADS BATCH [sorted]
Prints one JSON line: chunks, seconds, chunks_per_second, peak_rss_mb.
"""

import json
import sys
import time

import numpy as np
import onnxruntime
from tokenizers import Tokenizer


def main():
    model_dir, chunks_path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    by_length = len(sys.argv) > 5 and sys.argv[5] == "sorted"
    texts = ["passage: " + json.loads(line)["text"] for line in open(chunks_path, encoding="utf-8")]
    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tokenizer.enable_truncation(512)
    tokenizer.enable_padding(pad_id=1, pad_token="<pad>")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(f"{model_dir}/model.onnx", options, providers=["CPUExecutionProvider"])
    order = sorted(range(len(texts)), key=lambda i: len(tokenizer.encode(texts[i]).ids)) if by_length else list(range(len(texts)))
    started = time.perf_counter()
    vectors = [None] * len(texts)
    for start in range(0, len(order), batch):
        indices = order[start : start + batch]
        encodings = tokenizer.encode_batch([texts[i] for i in indices])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        for i, vector in zip(indices, pooled):
            vectors[i] = vector
    seconds = time.perf_counter() - started
    # VmHWM is this process's own high-water mark; ru_maxrss can carry the parent's over exec.
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"chunks": len(texts), "seconds": seconds, "chunks_per_second": len(texts) / seconds, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
