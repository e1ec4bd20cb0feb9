#!/usr/bin/env python3
"""Builds SD-Turbo's networks at full size with random weights, exports them as ONNX with the
production contract, and times them in torch CUDA eager (the practical limit).

  python3 bench/gpu/build_models.py --count                      # parameter counts only (meta device)
  python3 bench/gpu/build_models.py --export DIR [--dtypes fp32,fp16] [--only unet,...]
                                                                 # DIR/{fp32,fp16}/<net>/model.onnx (+ files.json)
  python3 bench/gpu/build_models.py --torch-bench OUT.json       # torch CUDA eager, fp16 and fp32

Contract (what the ORT Web SD-Turbo demo files use): text_encoder input_ids int32 [1,77] ->
last_hidden_state; unet sample f32 [1,4,64,64], timestep int64 [1], encoder_hidden_states
f32 [1,77,1024] -> out_sample; vae_decoder (and tiny_decoder) latent_sample f32 [1,4,64,64] ->
sample [1,3,512,512]. fp16 variants hold fp16 weights behind fp32 I/O. Legacy exporter
(dynamo=False), opset 17; models over 2 GB get external data.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sd_turbo_modules as M  # noqa: E402

NETS = {
    "text_encoder": M.TextEncoder,
    "unet": M.UNet,
    "vae_decoder": M.VaeDecoder,
    "tiny_decoder": M.TinyDecoder,
    # Ablation, to split the UNet's time between its convolutions and its transformer blocks:
    # the same UNet without any Transformer2D (encoder_hidden_states then goes unused).
    "unet_noattn": lambda: M.UNet(attn=(False,) * 4, mid_attn=False),
}
EXPECTED_M = {"text_encoder": 340.3, "unet": 865.9, "vae_decoder": 49.5, "tiny_decoder": 1.2, "unet_noattn": "n/a, ablation"}


def example_inputs(name, device, dtype=torch.float32):
    if name == "text_encoder":
        ids = torch.zeros(1, 77, dtype=torch.int32, device=device)
        ids[0, 0], ids[0, 1:6] = 49406, torch.tensor([320, 1929, 539, 1275, 49407])
        return (ids,)
    if name.startswith("unet"):
        return (
            torch.randn(1, 4, 64, 64, device=device, dtype=dtype),
            torch.tensor([999], dtype=torch.int64, device=device),
            torch.randn(1, 77, 1024, device=device, dtype=dtype),
        )
    return (torch.randn(1, 4, 64, 64, device=device, dtype=dtype),)


# Symbolic dimension names as optimum's exports (and so the ORT Web demo's files) use them.
IO = {
    "text_encoder": (["input_ids"], ["last_hidden_state"], {"input_ids": {0: "batch_size", 1: "sequence_length"}, "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}),
    "unet": (
        ["sample", "timestep", "encoder_hidden_states"],
        ["out_sample"],
        {
            "sample": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
            "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
        },
    ),
}
IO["unet_noattn"] = IO["unet"]
for _n in ("vae_decoder", "tiny_decoder"):
    IO[_n] = (
        ["latent_sample"],
        ["sample"],
        {
            "latent_sample": {0: "batch_size", 1: "num_channels_latent", 2: "height_latent", 3: "width_latent"},
            "sample": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
        },
    )


class Fp32IO(nn.Module):
    """fp16 weights behind fp32 inputs and outputs (the ORT Web demo files' convention)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, *args):
        args = [a.half() if a.is_floating_point() else a for a in args]
        return self.net(*args).float()


def build(name, device):
    torch.manual_seed(list(NETS).index(name) + 1)
    with torch.device(device):
        return NETS[name]().eval()


def count():
    out = {}
    for name in NETS:
        n = M.param_count(build(name, "meta"))
        out[name] = n
        print(f"{name:13s} {n / 1e6:8.1f} M parameters (published: {EXPECTED_M[name]} M)", flush=True)
    return out


def export(out_dir, dtypes, only, attention="matmul"):
    M.ATTENTION = attention
    suffix = "" if attention == "matmul" else f"_{attention}"
    summary = {}
    for dtype in dtypes:
        for name in only:
            net = build(name, "cuda")
            if dtype == "fp16":
                net = Fp32IO(net.half())
            d = os.path.join(out_dir, dtype, name + suffix)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, "model.onnx")
            inputs, outputs, axes = IO[name]
            t0 = time.time()
            with torch.no_grad():
                torch.onnx.export(
                    net, example_inputs(name, "cuda"), path, input_names=inputs, output_names=outputs,
                    dynamic_axes=axes, opset_version=17, do_constant_folding=True, dynamo=False,
                    **({"custom_opsets": {"com.microsoft": 1}} if attention == "mha" else {}),
                )
            files = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
            sizes = {f: os.path.getsize(os.path.join(d, f)) for f in files if f != "files.json"}
            with open(os.path.join(d, "files.json"), "w") as fh:
                json.dump({"model": "model.onnx", "externalData": [f for f in sizes if f != "model.onnx"], "bytes": sizes}, fh)
            total = sum(sizes.values())
            summary[f"{dtype}/{name}{suffix}"] = {"seconds": round(time.time() - t0, 1), "bytes": total, "files": len(sizes)}
            print(f"exported {dtype}/{name}{suffix}: {total / 2**20:.0f} MiB in {len(sizes)} file(s), {time.time() - t0:.1f} s", flush=True)
            del net
            torch.cuda.empty_cache()
    return summary


def cuda_times(fn, warmup=3, runs=20):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return {"median_ms": round(statistics.median(times), 3), "min_ms": round(min(times), 3), "runs": runs}


def torch_bench():
    M.ATTENTION = "sdpa"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    res = {
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "settings": "eager, SDPA attention, cudnn.benchmark=True, TF32 off (fp32 is true fp32)",
    }
    for dtype, tdt in (("fp16", torch.float16), ("fp32", torch.float32)):
        nets = {n: build(n, "cuda").to(tdt) for n in NETS}
        r = {}
        with torch.inference_mode():
            for name, net in nets.items():
                args = example_inputs(name, "cuda", tdt)
                t0 = time.time()
                torch.cuda.synchronize()
                net(*args)
                torch.cuda.synchronize()
                first = (time.time() - t0) * 1000
                r[name] = {**cuda_times(lambda net=net, args=args: net(*args)), "first_run_ms": round(first, 1)}
                out = net(*args)
                r[name]["finite"] = bool(torch.isfinite(out).all())

            def pipeline(tiny=False):
                ids = example_inputs("text_encoder", "cuda")[0]
                hidden = nets["text_encoder"](ids)
                sigma = 14.6146
                lat = torch.randn(1, 4, 64, 64, device="cuda", dtype=tdt) * sigma
                eps = nets["unet"](lat / (sigma**2 + 1) ** 0.5, torch.tensor([999], device="cuda"), hidden)
                x0 = lat - sigma * eps
                img = nets["tiny_decoder" if tiny else "vae_decoder"](x0 / (1.0 if tiny else 0.18215))
                return ((img / 2 + 0.5).clamp(0, 1) * 255).to(torch.uint8).cpu()

            r["pipeline_full_vae"] = cuda_times(pipeline, runs=10)
            r["pipeline_tiny_decoder"] = cuda_times(lambda: pipeline(True), runs=10)
        res[dtype] = r
        print(dtype, json.dumps(r), flush=True)
        del nets
        torch.cuda.empty_cache()
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", action="store_true")
    p.add_argument("--export")
    p.add_argument("--dtypes", default="fp32,fp16", help="comma-separated: fp32, fp16")
    p.add_argument("--only", default=",".join(NETS), help="comma-separated networks to export")
    p.add_argument("--attention", default="matmul", choices=["matmul", "mha"], help="mha: attention as com.microsoft MultiHeadAttention (folder suffix _mha)")
    p.add_argument("--torch-bench")
    p.add_argument("--summary", help="write counts and export summary as JSON here")
    a = p.parse_args()
    summary = {"parameters": count()}
    if a.export:
        summary["export"] = export(a.export, a.dtypes.split(","), a.only.split(","), a.attention)
    if a.summary:
        with open(a.summary, "w") as fh:
            json.dump(summary, fh, indent=1)
    if a.torch_bench:
        res = torch_bench()
        res["parameters"] = summary["parameters"]
        with open(a.torch_bench, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
