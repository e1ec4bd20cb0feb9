"""SD-Turbo's networks in plain torch, from the published configs (no diffusers, no hub).

Shapes and module layout follow diffusers' UNet2DConditionModel (SD 2.1 config), HF
CLIPTextModel (OpenCLIP ViT-H/14 text tower, 23 layers as SD 2.x uses the penultimate
layer), AutoencoderKL's decoder (+ post_quant_conv, as the ONNX vae_decoder exports hold
it) and TAESD's decoder. Weights are random: latency does not depend on their values.

`ATTENTION` selects the attention kernel: "sdpa" (torch CUDA benchmarks), "matmul"
(explicit MatMul/Softmax, what plain ONNX exports of these models contain) or "mha" (exports
non-causal attention as onnxruntime's com.microsoft MultiHeadAttention contrib op, which
ORT's WebGPU EP implements as one fused kernel).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

ATTENTION = "matmul"


class _MultiHeadAttention(torch.autograd.Function):
    """Exports as com.microsoft MultiHeadAttention (q [B,S,D], k/v [B,L,D], no bias or mask)."""

    @staticmethod
    def forward(ctx, q, k, v, heads):
        return _attention(q, k, v, heads, None, "matmul")

    @staticmethod
    def symbolic(g, q, k, v, heads):
        out = g.op("com.microsoft::MultiHeadAttention", q, k, v, num_heads_i=heads)
        out.setType(q.type())
        return out


def attention(q, k, v, heads, causal_mask=None):
    """q,k,v: [B, N, C] -> [B, N, C], multi-head."""
    if ATTENTION == "mha" and causal_mask is None:
        return _MultiHeadAttention.apply(q, k, v, heads)
    return _attention(q, k, v, heads, causal_mask, ATTENTION)


def _attention(q, k, v, heads, causal_mask, kind):
    b, n, c = q.shape
    d = c // heads
    q, k, v = (t.reshape(b, -1, heads, d).transpose(1, 2) for t in (q, k, v))
    if kind == "sdpa":
        o = F.scaled_dot_product_attention(q, k, v, is_causal=causal_mask is not None)
    else:
        w = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
        if causal_mask is not None:
            w = w + causal_mask
        o = torch.matmul(w.softmax(dim=-1), v)
    return o.transpose(1, 2).reshape(b, n, c)


# ---------------------------------------------------------------- UNet (SD 2.1)
class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb=1280, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(32, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(32, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attn(nn.Module):
    def __init__(self, dim, heads, ctx_dim=None):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(ctx_dim, dim, bias=False)
        self.to_v = nn.Linear(ctx_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        return self.to_out(attention(self.to_q(x), self.to_k(ctx), self.to_v(ctx), self.heads))


class TransformerBlock(nn.Module):
    def __init__(self, dim, heads, ctx_dim):
        super().__init__()
        self.norm1, self.attn1 = nn.LayerNorm(dim), Attn(dim, heads)
        self.norm2, self.attn2 = nn.LayerNorm(dim), Attn(dim, heads, ctx_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff_proj = nn.Linear(dim, dim * 8)  # GEGLU
        self.ff_out = nn.Linear(dim * 4, dim)

    def forward(self, x, ctx):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), ctx)
        h, gate = self.ff_proj(self.norm3(x)).chunk(2, dim=-1)
        return x + self.ff_out(h * F.gelu(gate))


class Transformer2D(nn.Module):
    """diffusers Transformer2DModel with use_linear_projection=True, one block."""

    def __init__(self, dim, heads, ctx_dim=1024):
        super().__init__()
        self.norm = nn.GroupNorm(32, dim, eps=1e-6)
        self.proj_in = nn.Linear(dim, dim)
        self.block = TransformerBlock(dim, heads, ctx_dim)
        self.proj_out = nn.Linear(dim, dim)

    def forward(self, x, ctx):
        b, c, hh, ww = x.shape
        h = self.norm(x).permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        h = self.proj_out(self.block(self.proj_in(h), ctx))
        return x + h.reshape(b, hh, ww, c).permute(0, 3, 1, 2)


class Down(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def timestep_embedding(t, dim=320):
    """diffusers get_timestep_embedding, flip_sin_to_cos=True, downscale_freq_shift=0."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class UNet(nn.Module):
    """SD 2.1 UNet2DConditionModel: 320/640/1280/1280, heads 5/10/20/20, ctx 1024, 2 layers per block."""

    def __init__(self, ch=(320, 640, 1280, 1280), heads=(5, 10, 20, 20), attn=(True, True, True, False), layers=2, ctx=1024, mid_attn=True):
        super().__init__()
        temb = ch[0] * 4
        self.time_linear_1, self.time_linear_2 = nn.Linear(ch[0], temb), nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(4, ch[0], 3, padding=1)
        self.down = nn.ModuleList()
        skips, c = [ch[0]], ch[0]
        for i, co in enumerate(ch):
            for _ in range(layers):
                self.down.append(nn.ModuleList([ResBlock(c, co, temb), Transformer2D(co, heads[i], ctx) if attn[i] else nn.Identity()]))
                c = co
                skips.append(c)
            if i < len(ch) - 1:
                self.down.append(Down(c))
                skips.append(c)
        self.mid = nn.ModuleList([ResBlock(c, c, temb), Transformer2D(c, heads[-1], ctx) if mid_attn else nn.Identity(), ResBlock(c, c, temb)])
        self.up = nn.ModuleList()
        for i, co in enumerate(reversed(ch)):
            j = len(ch) - 1 - i
            for _ in range(layers + 1):
                self.up.append(nn.ModuleList([ResBlock(c + skips.pop(), co, temb), Transformer2D(co, heads[j], ctx) if attn[j] else nn.Identity()]))
                c = co
            if j > 0:
                self.up.append(Up(c))
        self.norm_out = nn.GroupNorm(32, c, eps=1e-5)
        self.conv_out = nn.Conv2d(c, 4, 3, padding=1)

    @staticmethod
    def _run_block(block, h, temb, ctx):
        if isinstance(block, (Down, Up)):
            return block(h)
        res, tr = block
        h = res(h, temb)
        return tr(h, ctx) if isinstance(tr, Transformer2D) else h

    def forward(self, sample, timestep, encoder_hidden_states):
        t = timestep_embedding(timestep.expand(sample.shape[0]), self.time_linear_1.in_features).to(sample.dtype)
        temb = self.time_linear_2(F.silu(self.time_linear_1(t)))
        h = self.conv_in(sample)
        skips = [h]
        for block in self.down:
            h = self._run_block(block, h, temb, encoder_hidden_states)
            skips.append(h)
        h = self.mid[0](h, temb)
        if isinstance(self.mid[1], Transformer2D):
            h = self.mid[1](h, encoder_hidden_states)
        h = self.mid[2](h, temb)
        for block in self.up:
            if not isinstance(block, Up):
                h = torch.cat([h, skips.pop()], dim=1)
            h = self._run_block(block, h, temb, encoder_hidden_states)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------- OpenCLIP ViT-H text encoder
class ClipLayer(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.layer_norm1 = nn.LayerNorm(dim)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def forward(self, x, mask):
        h = self.layer_norm1(x)
        x = x + self.out_proj(attention(self.q_proj(h), self.k_proj(h), self.v_proj(h), self.heads, mask))
        return x + self.fc2(F.gelu(self.fc1(self.layer_norm2(x))))


class TextEncoder(nn.Module):
    """HF CLIPTextModel with SD-Turbo's config: vocab 49408, width 1024, 23 layers, 16 heads, GELU."""

    def __init__(self, vocab=49408, dim=1024, layers=23, heads=16, mlp=4096, positions=77):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(positions, dim)
        self.layers = nn.ModuleList(ClipLayer(dim, heads, mlp) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(dim)
        self.register_buffer("causal", torch.full((positions, positions), float("-inf")).triu(1), persistent=False)

    def forward(self, input_ids):
        n = input_ids.shape[1]
        x = self.token_embedding(input_ids.long()) + self.position_embedding.weight[:n][None]
        mask = self.causal[:n, :n].to(x.dtype)
        for layer in self.layers:
            x = layer(x, mask)
        return self.final_layer_norm(x)


# ---------------------------------------------------------------- SD VAE decoder
class VaeAttn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.group_norm = nn.GroupNorm(32, c, eps=1e-6)
        self.to_q, self.to_k, self.to_v, self.to_out = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.group_norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        h = self.to_out(attention(self.to_q(h), self.to_k(h), self.to_v(h), 1))
        return x + h.transpose(1, 2).reshape(b, c, hh, ww)


class VaeDecoder(nn.Module):
    """AutoencoderKL decoder (SD 2.x / SD-Turbo): latent 4, channels 128/256/512/512, 2 layers (+1 on the way up)."""

    def __init__(self, ch=(128, 256, 512, 512), layers=2):
        super().__init__()
        c = ch[-1]
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, c, 3, padding=1)
        self.mid = nn.ModuleList([ResBlock(c, c, temb=0, eps=1e-6), VaeAttn(c), ResBlock(c, c, temb=0, eps=1e-6)])
        self.up = nn.ModuleList()
        for i, co in enumerate(reversed(ch)):
            for _ in range(layers + 1):
                self.up.append(ResBlock(c, co, temb=0, eps=1e-6))
                c = co
            if i < len(ch) - 1:
                self.up.append(Up(c))
        self.norm_out = nn.GroupNorm(32, c, eps=1e-6)
        self.conv_out = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        h = self.mid[2](self.mid[1](self.mid[0](h)))
        for block in self.up:
            h = block(h)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------- TAESD-class tiny decoder
class TaesdBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x):
        return F.relu(self.conv(x) + x)


class TinyDecoder(nn.Module):
    """TAESD decoder (diffusers AutoencoderTiny): output mapped to [-1, 1] like the SD VAE's."""

    def __init__(self, c=64):
        super().__init__()
        layers = [nn.Conv2d(4, c, 3, padding=1), nn.ReLU()]
        for i in range(3):
            layers += [TaesdBlock(c) for _ in range(3)]
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c, c, 3, padding=1, bias=False)]
        layers += [TaesdBlock(c), nn.Conv2d(c, 3, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, latent_sample):
        x = torch.tanh(latent_sample / 3.0) * 3.0
        return self.layers(x).clamp(0, 1) * 2.0 - 1.0


class TinyEncoder(nn.Module):
    """TAESD encoder (taesd.py's Encoder): RGB in [0, 1] -> latents in the UNet's scale."""

    def __init__(self, c=64):
        super().__init__()
        layers = [nn.Conv2d(3, c, 3, padding=1), TaesdBlock(c)]
        for i in range(3):
            layers += [nn.Conv2d(c, c, 3, padding=1, stride=2, bias=False)] + [TaesdBlock(c) for _ in range(3)]
        layers += [nn.Conv2d(c, 4, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, sample):
        return self.layers(sample)


def param_count(module):
    return sum(p.numel() for p in module.parameters())
