#!/usr/bin/env python3
"""Builds SD-Turbo's networks at full size with random weights, exports them as ONNX with the
production contract, and times them in torch CUDA eager (the practical limit).

  python3 bench/gpu/build_models.py --count                      # parameter counts only (meta device)
  python3 bench/gpu/build_models.py --export DIR [--dtypes fp32,fp16] [--only unet,...]
                                                                 # DIR/{fp32,fp16}/<net>/model.onnx (+ files.json)
  python3 bench/gpu/build_models.py --torch-bench OUT.json       # torch CUDA eager, fp16 and fp32

  python3 bench/gpu/build_models.py --export DIR --tiny          # the same graphs at tiny widths (CPU, any
                                                                 # torch >= 1.13): a contract smoke test

Contract: the published files' (schmuell/sd-turbo-ort-web; optimum export at opset 14, ORT's fp16
conversion, then onnx-wrap-fp16.py), the same as web/tools/testmodels/src/contract.ts:
text_encoder input_ids int32 [batch_size, sequence_length] -> last_hidden_state
[batch_size, sequence_length, 1024] and pooler_output [batch_size, 1024] (the hidden state at the
highest id, CLIP's end of text); unet sample f32 [batch_size, num_channels, height, width],
timestep int64 [steps], encoder_hidden_states f32 [batch_size, sequence_length, 1024] ->
out_sample; vae_decoder (and tiny_decoder) latent_sample f32 [batch_size, num_channels_latent,
height_latent, width_latent] -> sample [batch_size, num_channels, height, width]. fp16 variants are
exported with fp16 I/O and then wrapped as onnx-wrap-fp16.py wraps the real files: each float16
graph input x feeds an unnamed Cast x -> x_fp16 inserted at the start of the node list, each
float16 output y is an unnamed Cast y_fp16 -> y appended at the end, and the declared types become
float32. Legacy exporter (dynamo=False where torch has the flag), opset 14; models over 2 GB get
external data. LayerNorm exports decomposed at opset 14; ORT fuses it at session creation, as the
published files hold it fused by ORT's optimizer. fp16 exports then lose their float64 as the recipe's
onnx-remove-double.py strips it (strip_float64), before the I/O wrap.
"""

import argparse
import json
import os
import statistics
import sys
import time

import inspect

import onnx
import onnx.numpy_helper
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sd_turbo_modules as M  # noqa: E402

NETS = {
    "text_encoder": M.TextEncoder,
    "unet": M.UNet,
    "vae_decoder": M.VaeDecoder,
    "tiny_decoder": M.TinyDecoder,
    "tiny_encoder": M.TinyEncoder,
    # Ablation, to split the UNet's time between its convolutions and its transformer blocks:
    # the same UNet without any Transformer2D (encoder_hidden_states then goes unused).
    "unet_noattn": lambda **kw: M.UNet(**{"attn": (False,) * 4, "mid_attn": False, **kw}),
}
# --tiny: the same architectures at widths a CPU exports in seconds (GroupNorm needs multiples of 32).
TINY = {
    "text_encoder": {"vocab": 1000, "dim": 64, "layers": 2, "heads": 2, "mlp": 128},
    "unet": {"ch": (32, 64), "heads": (2, 2), "attn": (True, True), "layers": 1, "ctx": 64},
    "vae_decoder": {"ch": (32, 64), "layers": 1},
    "tiny_decoder": {"c": 32},
    "tiny_encoder": {"c": 32},
    "unet_noattn": {"ch": (32, 64), "heads": (2, 2), "attn": (False, False), "layers": 1, "ctx": 64, "mid_attn": False},
}
FULL_SIZES = {"vocab": 49408, "hidden": 1024}
TINY_SIZES = {"vocab": TINY["text_encoder"]["vocab"], "hidden": TINY["text_encoder"]["dim"]}
EXPECTED_M = {"text_encoder": 340.3, "unet": 865.9, "vae_decoder": 49.5, "tiny_decoder": 1.2, "tiny_encoder": 1.2, "unet_noattn": "n/a, ablation"}


def example_inputs(name, device, dtype=torch.float32, sizes=FULL_SIZES):
    if name == "text_encoder":
        vocab = sizes["vocab"]
        ids = torch.zeros(1, 77, dtype=torch.int32, device=device)
        ids[0, 0], ids[0, 1:6] = vocab - 2, torch.tensor([320, 129, 539, 127, vocab - 1])
        return (ids,)
    if name.startswith("unet"):
        return (
            torch.randn(1, 4, 64, 64, device=device, dtype=dtype),
            torch.tensor([999], dtype=torch.int64, device=device),
            torch.randn(1, 77, sizes["hidden"], device=device, dtype=dtype),
        )
    if name == "tiny_encoder":
        return (torch.rand(1, 3, 512, 512, device=device, dtype=dtype),)
    return (torch.randn(1, 4, 64, 64, device=device, dtype=dtype),)


# Symbolic dimension names as optimum's exports (and so the ORT Web demo's files) use them.
IO = {
    "text_encoder": (
        ["input_ids"],
        ["last_hidden_state", "pooler_output"],
        {
            "input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
            "pooler_output": {0: "batch_size"},
        },
    ),
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
IO["tiny_encoder"] = (
    ["sample"],
    ["latent_sample"],
    {
        "sample": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
        "latent_sample": {0: "batch_size", 1: "num_channels_latent", 2: "height_latent", 3: "width_latent"},
    },
)
for _n in ("vae_decoder", "tiny_decoder"):
    IO[_n] = (
        ["latent_sample"],
        ["sample"],
        {
            "latent_sample": {0: "batch_size", 1: "num_channels_latent", 2: "height_latent", 3: "width_latent"},
            "sample": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
        },
    )


class WithPooler(nn.Module):
    """HF CLIPTextModel's two outputs: last_hidden_state and pooler_output, the hidden state at each
    row's highest id (the end-of-text token; SD 2.x text encoder configs take that legacy path)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, input_ids):
        hidden = self.net(input_ids)
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        return hidden, hidden[rows, input_ids.to(torch.int32).argmax(dim=-1)]


def wrap_fp32_io(model):
    """Puts every float16 graph input and output behind a Cast, as onnx-wrap-fp16.py does to the
    published files: input x -> unnamed Cast x -> x_fp16 inserted at index 0 (consumers read x_fp16);
    output y -> its producer and consumers use y_fp16, an unnamed Cast y_fp16 -> y appended; the
    declared types become float32."""
    graph = model.graph
    f16, f32 = onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT

    def rename(name, new, outputs_too):
        for node in graph.node:
            for i, n in enumerate(node.input):
                if n == name:
                    node.input[i] = new
            if outputs_too:
                for i, n in enumerate(node.output):
                    if n == name:
                        node.output[i] = new

    for value in graph.input:
        if value.type.tensor_type.elem_type != f16:
            continue
        rename(value.name, value.name + "_fp16", outputs_too=False)
        graph.node.insert(0, onnx.helper.make_node("Cast", [value.name], [value.name + "_fp16"], to=f16))
        value.type.tensor_type.elem_type = f32
    for value in graph.output:
        if value.type.tensor_type.elem_type != f16:
            continue
        rename(value.name, value.name + "_fp16", outputs_too=True)
        graph.node.append(onnx.helper.make_node("Cast", [value.name + "_fp16"], [value.name], to=f32))
        value.type.tensor_type.elem_type = f32
    return model


def strip_float64(model):
    """What the recipe's onnx-remove-double.py is for (it runs on the published text encoder before
    onnx-wrap-fp16.py): torch 2's opset < 17 LayerNorm on float16 input computes its statistics in
    float64 (Cast to DOUBLE ... Cast back), and onnxruntime-web's WebGPU session places no float64
    node (creation fails: "Provider type for Cast node ... is not set"). Casts to DOUBLE become Casts
    to FLOAT, float64 initializers, Constant values and value_info types float32."""
    f32, f64 = onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE
    graph = model.graph

    def narrow(t):
        if t.data_type == f64:
            t.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(t).astype("float32"), t.name))

    for t in graph.initializer:
        narrow(t)
    for node in graph.node:
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == f64:
                a.i = f32
            if a.HasField("t"):
                narrow(a.t)
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        if v.type.tensor_type.elem_type == f64:
            v.type.tensor_type.elem_type = f32
    return model


def build(name, device, tiny=False):
    torch.manual_seed(list(NETS).index(name) + 1)
    kwargs = TINY[name] if tiny else {}
    if hasattr(torch.device(device), "__enter__"):  # torch >= 2.0: allocate on the target (meta for counts)
        with torch.device(device):
            return NETS[name](**kwargs).eval()
    return NETS[name](**kwargs).eval().to(device)


def count():
    out = {}
    for name in NETS:
        n = M.param_count(build(name, "meta"))
        out[name] = n
        print(f"{name:13s} {n / 1e6:8.1f} M parameters (published: {EXPECTED_M[name]} M)", flush=True)
    return out


def export(out_dir, dtypes, only, attention="matmul", tiny=False):
    M.ATTENTION = attention
    suffix = "" if attention == "matmul" else f"_{attention}"
    device = "cpu" if tiny else "cuda"
    sizes = TINY_SIZES if tiny else FULL_SIZES
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    summary = {}
    for dtype in dtypes:
        for name in only:
            net = build(name, device, tiny)
            if dtype == "fp16":
                net = net.half()
            if name == "text_encoder":
                net = WithPooler(net)
            d = os.path.join(out_dir, dtype, name + suffix)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, "model.onnx")
            inputs, outputs, axes = IO[name]
            t0 = time.time()
            with torch.no_grad():
                torch.onnx.export(
                    net, example_inputs(name, device, torch.float16 if dtype == "fp16" else torch.float32, sizes), path,
                    input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=14, do_constant_folding=True,
                    **legacy, **({"custom_opsets": {"com.microsoft": 1}} if attention == "mha" else {}),
                )
            if dtype == "fp16":
                # Graph only: external data stays where the exporter wrote it, the references are unchanged;
                # float64 tensors are scalars, stored inline.
                model = wrap_fp32_io(strip_float64(onnx.load(path, load_external_data=False)))
                onnx.save(model, path)
            files = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
            sizes_on_disk = {f: os.path.getsize(os.path.join(d, f)) for f in files if f != "files.json"}
            with open(os.path.join(d, "files.json"), "w") as fh:
                json.dump({"model": "model.onnx", "externalData": [f for f in sizes_on_disk if f != "model.onnx"], "bytes": sizes_on_disk}, fh)
            total = sum(sizes_on_disk.values())
            summary[f"{dtype}/{name}{suffix}"] = {"seconds": round(time.time() - t0, 1), "bytes": total, "files": len(sizes_on_disk)}
            print(f"exported {dtype}/{name}{suffix}: {total / 2**20:.0f} MiB in {len(sizes_on_disk)} file(s), {time.time() - t0:.1f} s", flush=True)
            del net
            if device == "cuda":
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
    p.add_argument("--tiny", action="store_true", help="tiny widths on the CPU (a contract smoke test, no GPU)")
    p.add_argument("--torch-bench")
    p.add_argument("--summary", help="write counts and export summary as JSON here")
    a = p.parse_args()
    summary = {"parameters": {} if a.tiny else count()}
    if a.export:
        summary["export"] = export(a.export, a.dtypes.split(","), a.only.split(","), a.attention, a.tiny)
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
