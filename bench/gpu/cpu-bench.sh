#!/bin/bash
# The same runner on a CPU-only dev/CI machine, with the tiny test models (issue 7, item 3):
# engine overhead (end-to-end vs the sum of its session.run times) and how long the thread that
# runs the engine in-page is blocked, on WebGPU (SwiftShader through Dawn) and WASM.
#   bash bench/gpu/cpu-bench.sh [OUT_DIR]     (from the repo root, after `npm ci` in web/)
# Needs Chromium's SwiftShader ICD (/usr/lib/chromium) and Debian's libvulkan1 (downloaded with
# apt-get and unpacked locally when the system has none).
set -eu
OUT=${1:-bench/gpu/results/cpu}
mkdir -p "$OUT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
(cd web && npm run -s testmodels -- --out "$T/models" >/dev/null)
node bench/gpu/runner/build-engine.mjs
if ! ldconfig -p | grep -q libvulkan.so.1; then
  mkdir -p "$T/apt/partial" "$T/deb"
  o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$T/apt"
  apt-get $o update >/dev/null && (cd "$T/deb" && apt-get $o download libvulkan1 >/dev/null 2>&1)
  dpkg -x "$T"/deb/libvulkan1_*.deb "$T/vk"
  export LD_LIBRARY_PATH="$T/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
M="$T/models/test-tiny-sd"
common=(--models "$M/fp32" --tokenizer "$M/tokenizer" --size 64 --hidden 32 --runs "${RUNS:-10}")
VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node bench/gpu/runner/bench.mjs --suite gpu "${common[@]}" --out "$OUT/ortweb-swiftshader.json" 2>&1 | grep -v 'W:onnxruntime'
node bench/gpu/runner/bench.mjs --suite wasm "${common[@]}" --budget-s 30 --out "$OUT/ortweb-wasm.json" 2>&1 | grep -v 'W:onnxruntime'
