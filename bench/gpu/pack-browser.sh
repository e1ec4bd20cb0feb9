#!/bin/bash
# Packs what device.sh's browser steps need, in two git-ignored folders of the main checkout, each
# small enough for one device call (64 MiB): the browser is carried in one call and unpacked into
# /tmp on the machine, the rest in the next call while the machine is still warm.
#   .devchrome/  Debian's chromium-headless-shell .deb (61 MiB; with the main checkout's ~2 MiB of
#                tracked files it fits one call's 64 MiB)
#   .devweb/     chromium-common's data files (icu, V8 snapshots) and Chromium's own libvulkan.so.1,
#                libEGL.so, libGLESv2.so (unpacked beside the binary: without them the page gets no
#                WebGPU adapter on the GPU machine), the shared libraries the browser links that a bare
#                CUDA image lacks, hybridgen (the Go binary), the built test pages (bench-local.html,
#                bench-bare.html), the tokenizer, the Vulkan loader + GLVND .debs, and the upscaler's
#                mirror folder (esrgan-slim.tar.xz: ESRGAN-slim converted to ONNX by `models pull`)
#   .devbench/   this folder's scripts, models/sd-turbo.json and mirror/selfie-segmentation (the background
#                remover converted from its npm tarball, 442 KB, for browser-bgremove; small: carried in
#                every call, since the device tool sends the main checkout, whose tracked files may be
#                older than yours)
# Run here, from the repo root, after `npm ci` in web/:  bash bench/gpu/pack-browser.sh
set -eu
ROOT=$(pwd)
COMMON=$(git rev-parse --path-format=absolute --git-common-dir)
C=$COMMON/../.devchrome
W=$COMMON/../.devweb
K=$COMMON/../.devbench
for d in /.devchrome/ /.devweb/ /.devbench/; do grep -qx "$d" "$COMMON/info/exclude" 2>/dev/null || echo "$d" >>"$COMMON/info/exclude"; done
mkdir -p "$C" "$W"
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT

# The browser: the headless shell and the data files it shares with chromium (icu, V8 snapshots).
(cd "$S" && apt-get download chromium-headless-shell chromium-common >/dev/null 2>&1)
mkdir -p "$S/x"
for f in "$S"/*.deb; do dpkg -x "$f" "$S/x"; done
L=$S/x/usr/lib/chromium
# The browser travels as Debian's .deb itself (61 MiB, already xz inside): recompressing the 223 MB
# binary with xz -9e took over 25 min on the loaded 2-core machine. device.sh chrome-unpack runs dpkg -x.
rm -f "$C/headless-shell.xz"
cp "$S"/chromium-headless-shell_*.deb "$C/headless-shell.deb"
tar -C "$L" -cJf "$W/data.tar.xz" headless_command_resources.pak headless_lib_data.pak headless_lib_strings.pak icudtl.dat v8_context_snapshot.bin snapshot_blob.bin \
  libvulkan.so.1 libEGL.so libGLESv2.so

# The libraries it links, but not the C runtime (the machine's own, newer glibc and libstdc++ stay).
mkdir -p "$S/libs"
ldd "$L/chromium-headless-shell" | awk '$3 ~ /^\// {print $3}' |
  grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libgcc_s|libstdc\+\+)\.so' |
  xargs -I{} cp -L {} "$S/libs/"
tar -C "$S" -cJf "$W/libs.tar.xz" libs

# The server and the page.
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$S/hybridgen" ./cmd/hybridgen
xz -9 -T0 -c "$S/hybridgen" >"$W/hybridgen.xz"
# The upscaler's real weights (issue 17, bench-local's upscale=N): the device reaches no registry, so
# the binary above converts them here from @upscalerjs/esrgan-slim's npm tarball (npm's cache), as
# `make run` does, and the mirror folder travels as it is (manifest with the pinned hashes, 1.7 MB xz).
(cd web && npm pack @upscalerjs/esrgan-slim@1.0.0 --pack-destination "$S" --silent --prefer-offline >/dev/null)
"$S/hybridgen" models pull esrgan-slim -dir "$S/mirror" -npm-packs "$S" >"$S/pull.log" 2>&1 || { cat "$S/pull.log"; exit 1; }
tar -C "$S/mirror" -cJf "$W/esrgan-slim.tar.xz" esrgan-slim
(cd web && npx vite build --config tests/pages/vite.config.ts >/dev/null)
tar -C web/tests/.build -cJf "$W/pages.tar.xz" --exclude='*.map' pages
mkdir -p "$W/tokenizer"
(cd web && npm run -s testmodels -- --out "$S/models" >/dev/null)
cp "$S"/models/test-tiny-sd/tokenizer/* "$W/tokenizer/"
if ! ls "$W"/debs/libglvnd0_*.deb >/dev/null 2>&1; then
  mkdir -p "$W/debs" /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null && (cd "$W/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
# The scripts, from this checkout.
rm -rf "$K" && mkdir -p "$K/bench/gpu" "$K/models"
cp bench/gpu/*.py bench/gpu/*.sh "$K/bench/gpu/" && cp models/sd-turbo.json "$K/models/"
"$S/hybridgen" models pull selfie-segmentation -dir "$K/mirror" >/dev/null
cd "$ROOT"
du -sh "$C" "$W" "$K"
