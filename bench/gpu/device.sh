#!/bin/bash
# Runs on the GPU machine, from the root of the repo copy the device tool sends, with the
# carried folder .devrun/ (see bench/gpu/CONTEXT.md: pack-devrun.sh fills it):
#   .devrun/node.xz          Node 20 binary (xz)
#   .devrun/nm.tar.xz        node_modules subset: onnxruntime-web (webgpu bundle + asyncify wasm), webgpu (linux-x64)
#   .devrun/debs/*.deb       Debian's libvulkan1 + GLVND libs (the machine has the NVIDIA ICD but no loader)
#   .devrun/bench/gpu/       this folder, .build/engine.mjs (the bundled engine) included
#   .devrun/tokenizer/       the test model's CLIP tokenizer files (vocab.json, merges.txt, ...) for the engine
#   .devrun/tiny/            the tiny test model's fp32 graphs (the probe's smoke test)
# Usage: bash .devrun/bench/gpu/device.sh STEP...   STEP: probe | vkprobe | variants | variants-ab | chrome-unpack | browser-wasm | browser-webgpu | browser-drafts | browser-bgremove | export-fp16 | export-fp32 | export-mha | torch | gpu | gpu2 | gpu-mha | gpu-stages | wasm
# Results go to $OUT (or ./out).
set -u
D=$(cd "$(dirname "$0")/../.." && pwd)
B=$D/bench/gpu
W=/tmp/gpubench
M=$W/models
OUT=${OUT:-$PWD/out}
mkdir -p "$W" "$OUT"
export PYTHONUNBUFFERED=1
START=$(date +%s)
stamp() { echo "[$(( $(date +%s) - START ))s] $*"; }

setup_node() {
  [ -x $W/node ] && return
  xz -dc "$D/node.xz" >$W/node && chmod +x $W/node
  tar -xJf "$D/nm.tar.xz" -C $W
  for f in "$D"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  stamp "node $($W/node --version), libvulkan: $(ldconfig -p | grep -c libvulkan.so.1)"
}
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json

# browser_bench NAME DEFAULT_CONFIGS [FLAG...]: bench-local.html once per BROWSER_CONFIGS entry (else the
# defaults) in the unpacked headless shell, against hybridgen serving the mirror; JSON in $OUT/NAME.json.
browser_bench() {
  local name=$1 defaults=$2 c
  shift 2
  local configs=()
  for c in ${BROWSER_CONFIGS:-$defaults}; do configs+=(--config "$c"); done
  local left=$(( ${DEADLINE_S:-560} - ($(date +%s) - START) ))
  python3 "$B/browser_bench.py" --chrome /tmp/chrome/chromium-headless-shell --lib-dir /tmp/chrome/libs --hybridgen /tmp/chrome/hybridgen \
    --web-dir /tmp/chrome/pages --models-dir $W/mirror --model "${BENCH_MODEL-sd-turbo-bench-f16}" --profile $W/profile \
    "${configs[@]}" --deadline-s $left --out "$OUT/$name.json" "$@"
}

# unpack_browser: the carried .devweb (data files, Chromium's own Vulkan/EGL/GLES libraries beside the
# binary, the libraries it links, the pages, hybridgen) into /tmp/chrome, once per machine.
unpack_browser() {
  local X=/tmp/chrome
  [ -x $X/chromium-headless-shell ] || { echo "no browser in $X: run chrome-unpack first, on this warm machine"; exit 3; }
  if [ ! -x $X/hybridgen ]; then
    tar -xJf .devweb/data.tar.xz -C $X && tar -xJf .devweb/libs.tar.xz -C $X && tar -xJf .devweb/pages.tar.xz -C $X || exit 1
    xz -dc .devweb/hybridgen.xz >$X/hybridgen && chmod +x $X/hybridgen
  fi
  echo "libraries not found: $(ldd $X/chromium-headless-shell | grep -c 'not found') alone, $(LD_LIBRARY_PATH=$X/libs ldd $X/chromium-headless-shell | grep -c 'not found') with the carried ones"
}

# upscaler_mirror: the upscaler (bench-local's upscale=N, issue 17) beside the benchmark model: the
# esrgan-slim mirror folder pack-browser.sh converted from the npm package (this machine reaches no
# registry), served by hybridgen from the same mirror as `make run` serves it.
upscaler_mirror() {
  [ -f $W/mirror/esrgan-slim/manifest.json ] && return
  mkdir -p $W/mirror
  tar -xJf .devweb/esrgan-slim.tar.xz -C $W/mirror || { echo "no .devweb/esrgan-slim.tar.xz: run pack-browser.sh again"; exit 1; }
}

# The flags that give a headless page the GPU through Vulkan (shared/notes/environment.md).
WEBGPU_FLAGS="--chrome-arg=--enable-unsafe-webgpu --chrome-arg=--enable-features=Vulkan --chrome-arg=--use-vulkan=native --chrome-arg=--use-angle=vulkan --chrome-arg=--ignore-gpu-blocklist --chrome-arg=--disable-vulkan-surface"

runner() { $W/node "$B/runner/bench.mjs" --node-modules $W/node_modules --bundle "$B/.build/engine.mjs" --tokenizer "$D/tokenizer" "$@"; }

for step in "$@"; do
  stamp "== $step"
  case $step in
    probe)
      nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader
      nproc; grep -m1 'model name' /proc/cpuinfo
      python3 -c 'import torch, onnx; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0), "onnx", onnx.__version__)'
      python3 "$B/build_models.py" --count --summary "$OUT/params.json"
      setup_node
      ls /usr/local/nvidia/share/vulkan/icd.d/ && ldconfig -p | grep -E 'libGLX_nvidia|libGLdispatch|libvulkan' | head
      runner --suite gpu --models "$D/tiny" --size 64 --hidden 32 --runs 5 --out "$OUT/probe-tiny-gpu.json" 2>&1 | grep -v 'W:onnxruntime'
      ;;
    vkprobe)
      # Finds an ICD manifest under which Dawn gets an adapter; later steps use it.
      setup_node
      icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
      cat $icd; ls -la /dev/nvidia* 2>&1 | head -4
      ls -la /lib/libGLX_nvidia.so* /usr/local/nvidia/lib64/libGLX_nvidia.so* /usr/local/nvidia/lib64/libEGL_nvidia.so* 2>&1
      ls /usr/local/nvidia/lib64 | grep -E 'glcore|gpucomp|glvkspirv|tls|glsi|eglcore' | tr '\n' ' '; echo
      ldd /usr/local/nvidia/lib64/libGLX_nvidia.so.0 | grep 'not found'
      find / -xdev \( -name '*nvidia*icd*.json' -o -name '*nvidia_layers*.json' \) 2>/dev/null | grep -v '^/proc' | head
      mkdir -p $W/icd
      cands="$icd"
      for lib in /usr/local/nvidia/lib64/libGLX_nvidia.so.0 /usr/local/nvidia/lib64/libEGL_nvidia.so.0 /lib/libGLX_nvidia.so.0; do
        [ -e $lib ] || continue
        f=$W/icd/$(basename $lib).json
        sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib\"#" $icd >$f
        cands="$cands $f"
      done
      found=
      for c in $cands; do
        echo "-- VK_DRIVER_FILES=$c"
        if (set -o pipefail; VK_DRIVER_FILES=$c VK_LOADER_DEBUG=${VKDBG:-error} $W/node "$B/runner/adapter.mjs" $W/node_modules 2>&1 | tail -6); then found=$c; break; fi
        VKDBG=error
      done
      [ -n "$found" ] && export VK_DRIVER_FILES=$found && stamp "using $found" ;;
    export-mha)
      python3 "$B/build_models.py" --export $M --dtypes fp32 --only ${MHA_ONLY:-unet,vae_decoder} --attention mha --summary "$OUT/$step.json" ;;
    export-fp16 | export-fp32)
      python3 "$B/build_models.py" --export $M --dtypes "${step#export-}" ${ONLY:+--only $ONLY} --summary "$OUT/$step.json" || exit 1
      du -sh $M/*/* ;;
    torch)
      python3 "$B/build_models.py" --torch-bench "$OUT/torch-cuda.json" ;;
    gpu)
      setup_node
      runner --suite gpu --models $M/fp32 --runs 10 --out "$OUT/ortweb-webgpu.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    gpu-stages)
      setup_node
      runner --suite webgpu-stages --models $M/fp32 --runs 10 --budget-s 30 --out "$OUT/ortweb-webgpu-stages.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    gpu2)
      setup_node
      runner --suite gpu --models $M/fp32 --runs 10 --out "$OUT/ortweb-webgpu-repeat.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    gpu-mha)
      # The same pipeline with the UNet whose attention is one MultiHeadAttention op (export-mha).
      setup_node
      mkdir -p $M/fp32-mha
      for n in text_encoder vae_decoder tiny_decoder; do ln -sfn ../fp32/$n $M/fp32-mha/$n; done
      ln -sfn ../fp32/unet_mha $M/fp32-mha/unet
      runner --suite gpu --models $M/fp32-mha --runs 10 --out "$OUT/ortweb-webgpu-mha.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    wasm)
      setup_node
      left=$(( ${DEADLINE_S:-560} - ($(date +%s) - START) ))
      stamp "wasm suite, ${left}s left"
      timeout $left $W/node "$B/runner/bench.mjs" --node-modules $W/node_modules --bundle "$B/.build/engine.mjs" --tokenizer "$D/tokenizer" \
        --suite wasm --models $M/fp32 --runs 10 --budget-s "${WASM_STAGE_S:-60}" --out "$OUT/ortweb-wasm.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    variants)
      # Issue 8: the full-size fp16 UNet through hybridgen's own converter and quantizer
      # (.devrun/hybridgen-variants.mjs, the bundled web/tools/variants CLI), then each variant alone
      # in its own Node process: the fp32 conversion on WebGPU, the int8 variant on WASM (one thread).
      setup_node
      V=$D/hybridgen-variants.mjs
      if [ ! -f $M/fp16/unet/model.onnx ]; then
        python3 "$B/build_models.py" --export $M --dtypes fp16 --only unet --summary "$OUT/export-fp16.json" || exit 1
      fi
      ls -la $M/fp16/unet
      for kind in convert quantize; do
        dst=$M/variants/$kind/unet; rm -rf $dst; mkdir -p $(dirname $dst)
        stamp "variants $kind"
        # The CLI prints one JSON line (time, memory peaks sampled every 10 ms); ru_maxrss of the
        # child (KiB) is the kernel's own peak, as a cross-check.
        python3 -c 'import resource,subprocess,sys,json; r=subprocess.run(sys.argv[1:]); print(json.dumps({"rc": r.returncode, "childMaxRssKiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)' \
          $W/node $V $kind --in $M/fp16/unet/model.onnx --out $dst >"$OUT/variants-$kind.json" 2>"$OUT/variants-$kind.err"
        cat "$OUT/variants-$kind.json"; tail -3 "$OUT/variants-$kind.err"
        ls -la $dst
        python3 -c 'import json,os,sys; d=sys.argv[1]; json.dump({"model":"model.onnx","externalData":sorted(f for f in os.listdir(d) if f.startswith("model.onnx.data"))}, open(os.path.join(d,"files.json"),"w"))' $dst
      done
      stamp "webgpu: fp32 variant (converted) UNet"
      (while :; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; sleep 0.2; done) >"$OUT/variants-webgpu-gpumem-mib.txt" 2>/dev/null &
      smi=$!
      runner --suite webgpu-stages --models $M/variants/convert --stages unet --runs 10 --budget-s 60 --out "$OUT/variants-webgpu-fp32.json" 2>&1 | grep -v 'W:onnxruntime'
      kill $smi
      echo "GPU memory used (MiB): first $(head -1 "$OUT/variants-webgpu-gpumem-mib.txt"), peak $(sort -n "$OUT/variants-webgpu-gpumem-mib.txt" | tail -1)"
      left=$(( ${DEADLINE_S:-560} - ($(date +%s) - START) ))
      budget=$(( left - 120 )); [ $budget -lt 1 ] && budget=1
      stamp "wasm: int8 variant UNet, ${left}s left, stage budget ${budget}s"
      timeout $left $W/node "$B/runner/bench.mjs" --node-modules $W/node_modules --bundle "$B/.build/engine.mjs" --tokenizer "$D/tokenizer" \
        --suite wasm --skip engine --models $M/variants/quantize --stages unet --runs 5 --budget-s $budget --out "$OUT/variants-wasm-int8.json" 2>&1 | grep -v 'W:onnxruntime'
      ;;
    variants-ab)
      # Same machine, same process: the converter's fp32 UNet vs torch's own fp32 export of the
      # same network, alternated (A B A B) on the WebGPU EP. Needs export-fp32 (ONLY=unet) first.
      setup_node
      [ -f $M/fp16/unet/model.onnx ] || python3 "$B/build_models.py" --export $M --dtypes fp16 --only unet --summary "$OUT/export-fp16.json" || exit 1
      dst=$M/variants/convert/unet
      if [ ! -f $dst/files.json ]; then
        rm -rf $dst; mkdir -p $(dirname $dst)
        $W/node $D/hybridgen-variants.mjs convert --in $M/fp16/unet/model.onnx --out $dst >"$OUT/variants-convert.json" || exit 1
        python3 -c 'import json,os,sys; d=sys.argv[1]; json.dump({"model":"model.onnx","externalData":sorted(f for f in os.listdir(d) if f.startswith("model.onnx.data"))}, open(os.path.join(d,"files.json"),"w"))' $dst
      fi
      mkdir -p $M/ab
      ln -sfn ../fp32/unet $M/ab/unet_torch_a; ln -sfn ../variants/convert/unet $M/ab/unet_variant_a
      ln -sfn ../fp32/unet $M/ab/unet_torch_b; ln -sfn ../variants/convert/unet $M/ab/unet_variant_b
      runner --suite webgpu-stages --models $M/ab --stages unet_torch_a,unet_variant_a,unet_torch_b,unet_variant_b --runs 10 --budget-s 30 --out "$OUT/variants-ab-webgpu.json" 2>&1 | grep -v 'W:onnxruntime' ;;
    chrome-unpack)
      # Browser run, call 1 (pack-browser.sh, carry .devchrome): the headless shell, unpacked where the
      # next calls on this warm machine find it. The rest travels in call 2 (.devweb).
      # .devchrome holds Debian's .deb as it is (already xz inside, 61 MiB: no slow recompression here) or an xz'd binary.
      mkdir -p /tmp/chrome
      if [ -f .devchrome/headless-shell.deb ]; then
        dpkg -x .devchrome/headless-shell.deb /tmp/chromedeb && cp /tmp/chromedeb/usr/lib/chromium/chromium-headless-shell /tmp/chrome/ || exit 1
      else
        xz -dc .devchrome/headless-shell.xz >/tmp/chrome/chromium-headless-shell || exit 1
      fi
      chmod +x /tmp/chrome/chromium-headless-shell
      ls -la /tmp/chrome ;;
    browser-wasm)
      # Issue 8, WASM with threads: the app's local path (download the fp16 files from the Go server's
      # mirror, derive int8 in the variants worker into OPFS, load, draft) in headless Chromium with
      # WebGPU hidden, once per thread count (BROWSER_CONFIGS), one browser profile throughout.
      unpack_browser
      for n in text_encoder unet vae_decoder; do
        [ -f $M/fp16/$n/files.json ] || { python3 "$B/build_models.py" --export $M --dtypes fp16 --only text_encoder,unet,vae_decoder --summary "$OUT/export-fp16.json" || exit 1; break; }
      done
      [ -f $W/mirror/sd-turbo-bench-f16/manifest.json ] || python3 "$B/make_mirror.py" --export $M/fp16 --tokenizer .devweb/tokenizer --out $W/mirror || exit 1
      upscaler_mirror
      browser_bench browser-wasm "threads=4,drafts=2 threads=16,drafts=2 threads=1,drafts=1" --backend wasm
      cp $W/server.log "$OUT/" 2>/dev/null ;;
    browser-webgpu)
      # The same page with WebGPU left on, through the machine's Vulkan driver (the loader and GLVND
      # from .devweb/debs). BROWSER_CONFIGS=probe=1 only reports the adapter the browser gets.
      X=/tmp/chrome
      [ -x $X/hybridgen ] || { echo "run browser-wasm first, on this warm machine"; exit 3; }
      for f in .devweb/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
      browser_bench browser-webgpu probe=1 $WEBGPU_FLAGS ${CHROME_EXTRA:-} ;;
    browser-drafts)
      # Issue 14, one browser, one profile, one run: the product page (bench-local: first visit =
      # download + fp32 derivation + load + drafts; revisit = load at page open + drafts), the bare-ORT
      # anchor page (bench-bare, the demo's way, on the fp32 files bench-local derived; with the demo's
      # session options and with ORT's defaults, for peak memory), then WASM (WebGPU hidden: int8
      # derivation + load + drafts, then a revisit). The export includes the tiny decoder and the tiny
      # encoder; lens=6 times the Sketch lens's stroke-to-image path (issue 17) after the drafts, and
      # upscale=2 upscaling 512 -> 2048 px with ESRGAN-slim (cold, then warm; WebGPU, then WASM).
      unpack_browser
      for f in .devweb/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
      for n in text_encoder unet vae_decoder tiny_decoder tiny_encoder; do
        [ -f $M/fp16/$n/files.json ] || { python3 "$B/build_models.py" --export $M --dtypes fp16 --only text_encoder,unet,vae_decoder,tiny_decoder,tiny_encoder --summary "$OUT/export-fp16.json" || exit 1; rm -rf $W/mirror/sd-turbo-bench-f16; break; }
      done
      [ -f $W/mirror/sd-turbo-bench-f16/manifest.json ] || python3 "$B/make_mirror.py" --export $M/fp16 --tokenizer .devweb/tokenizer --out $W/mirror || exit 1
      upscaler_mirror
      browser_bench browser-drafts "label=first,drafts=6,fullDrafts=5,hq=1,lens=6,upscale=2 label=revisit,drafts=6,fullDrafts=5,lens=6,upscale=2 page=bench-bare,opts=demo,runs=10 page=bench-bare,opts=plain,runs=5 label=wasm-first,backend=wasm,drafts=3,upscale=2 label=wasm-revisit,backend=wasm,drafts=3,upscale=2" \
        $WEBGPU_FLAGS ${CHROME_EXTRA:-}
      cp $W/server.log "$OUT/" 2>/dev/null ;;
    browser-bgremove)
      # Background removal (issue 17): bench-local.html?bgremove=N alone (no SD model, no export), a
      # 1024 px picture through the app's segmenter path, on WebGPU then on WASM, each a first run
      # (download into OPFS + session) then warm ones. The converted model (442 KB) travels in
      # .devbench/mirror (pack-browser.sh pulls it here: the machine reaches no registry).
      unpack_browser
      for f in .devweb/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
      mkdir -p $W/mirror && cp -r "$D/mirror/selfie-segmentation" $W/mirror/ || exit 1
      BENCH_MODEL= browser_bench browser-bgremove "label=bgremove-webgpu,bgremove=6 label=bgremove-wasm,backend=wasm,bgremove=6" \
        $WEBGPU_FLAGS ${CHROME_EXTRA:-}
      cp $W/server.log "$OUT/" 2>/dev/null ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done
stamp "all done"
