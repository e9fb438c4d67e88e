"""Write the int8 variant of a converted embedding model: the encoder's matrix products
quantised dynamically to int8 (onnxruntime.quantization), everything else unchanged.

It is faster and drifts from the full model (cosine about 0.98), so Switchboard offers it only
beside its measured retrieval quality (docs/benchmarks.md).

Usage: python quantize_int8.py MODEL_DIR OUT_DIR
"""

import shutil
import sys
from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(source / "model.onnx"), str(out / "model.onnx"), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul"])
    for name in ("tokenizer.json", "config.json", "special_tokens_map.json", "tokenizer_config.json"):
        shutil.copy(source / name, out / name)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
