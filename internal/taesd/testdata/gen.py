#!/usr/bin/python3
"""Writes the TAESD decoder test fixtures for internal/taesd (committed).

TAESD's decoder architecture (madebyollin/taesd, MIT; layer list and key
names as in its taesd.py) at a reduced width, with seeded random weights,
saved with torch.save in its zip format, plus a reference output for a fixed
latent. Needs Debian's python3-torch (1.13). Run from the repository root:

    /usr/bin/python3 internal/taesd/testdata/gen.py

Writes, next to this script:
  decoder-w8.pth       fp32 state dict, width 8 (the real file is width 64)
  decoder-w8-f16.pth   the same weights as HalfStorage
  reference.json       latent [1, 4, 3, 5] and decoder(latent).clamp(0, 1)
"""
import json
import os

import torch
import torch.nn as nn

WIDTH = 8
HERE = os.path.dirname(os.path.abspath(__file__))


def conv(n_in, n_out, **kwargs):
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.conv = nn.Sequential(conv(n, n), nn.ReLU(), conv(n, n), nn.ReLU(), conv(n, n))
        self.skip = nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


def decoder(c):
    up = lambda: [nn.Upsample(scale_factor=2), conv(c, c, bias=False)]
    return nn.Sequential(
        Clamp(), conv(4, c), nn.ReLU(),
        Block(c), Block(c), Block(c), *up(),
        Block(c), Block(c), Block(c), *up(),
        Block(c), Block(c), Block(c), *up(),
        Block(c), conv(c, 3),
    )


def main():
    torch.manual_seed(20261202)
    dec = decoder(WIDTH).eval()
    with torch.no_grad():
        # Spread the output over [0, 1] (std ~0.12, a few values clipped) so
        # the test sees every layer, not a constant: torch's default init
        # shrinks activations through 22 convolutions.
        for m in dec.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.mul_(1.5)
        dec[19].bias.fill_(0.5)
    state = dec.state_dict()
    torch.save(state, os.path.join(HERE, "decoder-w8.pth"))
    torch.save({k: v.half() for k, v in state.items()}, os.path.join(HERE, "decoder-w8-f16.pth"))

    latent = torch.randn(1, 4, 3, 5) * 2.5  # past +-3 in places: exercises the tanh clamp
    with torch.no_grad():
        out = dec(latent).clamp(0, 1)
    clipped = float(((out == 0) | (out == 1)).float().mean())
    ref = {
        "command": "/usr/bin/python3 internal/taesd/testdata/gen.py",
        "torch": torch.__version__,
        "width": WIDTH,
        "latentShape": list(latent.shape),
        "latent": [float(v) for v in latent.flatten()],
        "sampleShape": list(out.shape),
        "sample": [float(v) for v in out.flatten()],
        "clippedFraction": clipped,
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")
    print(f"wrote fixtures: {sum(p.numel() for p in dec.parameters())} parameters, {clipped:.1%} of outputs clipped")


if __name__ == "__main__":
    main()
