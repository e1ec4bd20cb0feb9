#!/bin/bash
# Fills DEST (default: the main checkout's git-ignored .devrun/) with what device.sh needs.
# Run here, from the repo root, after `npm ci` in web/:  bash bench/gpu/pack-devrun.sh [DEST]
set -eu
ROOT=$(pwd)
DEST=${1:-$(git rev-parse --path-format=absolute --git-common-dir)/../.devrun}
mkdir -p "$DEST/debs" "$DEST/bench" "$DEST/tokenizer" "$DEST/tiny"
EXCLUDE=$(git rev-parse --path-format=absolute --git-common-dir)/info/exclude
grep -qx '/.devrun/' "$EXCLUDE" 2>/dev/null || echo '/.devrun/' >>"$EXCLUDE"   # never committed, never in git status
node bench/gpu/runner/build-engine.mjs
rm -rf "$DEST/bench/gpu" && cp -r bench/gpu "$DEST/bench/gpu" && rm -rf "$DEST/bench/gpu/results"
[ -f "$DEST/node.xz" ] || xz -T0 -9 -c "$(command -v node)" >"$DEST/node.xz"
if [ ! -f "$DEST/nm.tar.xz" ]; then
  S=$(mktemp -d)
  mkdir -p $S/node_modules/onnxruntime-web/dist $S/node_modules/webgpu/dist/linux-x64
  NM=web/node_modules
  cp $NM/onnxruntime-web/package.json $S/node_modules/onnxruntime-web/
  cp $NM/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs $NM/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.{mjs,wasm} $S/node_modules/onnxruntime-web/dist/
  cp $NM/webgpu/{package.json,index.js} $S/node_modules/webgpu/
  cp $NM/webgpu/dist/linux-x64/dawn.node $S/node_modules/webgpu/dist/linux-x64/
  tar -C $S -cJf "$DEST/nm.tar.xz" node_modules
  rm -rf $S
fi
# The Vulkan loader, and the GLVND libraries the NVIDIA ICD (libGLX_nvidia.so.0) loads.
if ! ls "$DEST"/debs/libglvnd0_*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null && (cd "$DEST/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
T=$(mktemp -d)
(cd web && npm run -s testmodels -- --out "$T" >/dev/null)
cp "$T"/test-tiny-sd/tokenizer/* "$DEST/tokenizer/"
rm -rf "$DEST/tiny" && cp -r "$T/test-tiny-sd/fp32" "$DEST/tiny"
rm -rf "$T"
du -sh "$DEST"
