#!/usr/bin/env python3
"""Derives the CLIP tokenizer goldens of web/packages/core/src/engine/tokenizer/tokenizer.golden.test.ts.

Runs the reference tokenizer, openai/CLIP `clip/simple_tokenizer.py` (MIT; the tokenizer OpenCLIP
and so SD 2.x / SD-Turbo were trained with), on PROMPTS and prints, for each, the text's ids (no
start/end token, no limit) and the 77 ids that OpenCLIP's `tokenize` and diffusers' CLIPTokenizer
call (`padding="max_length", truncation=True`, pad 0) both produce: start, ids cut to 75, end, zeros
(printed as `tokens`, the 77 without the trailing zeros of the padding).

Nothing of the reference is copied into hybridgen; this script imports it from a checkout:

    PYTHONPATH=FTFY:CLIP python3 bench/tokenizer/clip_goldens.py > /tmp/goldens.ts

CLIP: a checkout of github.com/openai/CLIP (used: d05afc4); FTFY: a checkout of
github.com/rspeer/python-ftfy at v6.3.1 (Debian 12 has no python3-ftfy; ftfy needs `wcwidth`);
`regex` 2026.5.9. Paste the printed `GOLDENS` into the test.
"""

import json

from clip.simple_tokenizer import SimpleTokenizer

CONTEXT_LENGTH = 77

PROMPTS = [
    "a photo of a cat",
    "",
    "A PhOtO oF a CaT iN NeW YoRk CiTy",
    "a highly detailed matte painting of a castle on a hill at sunset, volumetric light, trending on artstation, " * 4,
    "cat " * 75,
    "cat " * 76,
    "Hello, world!!! (masterpiece:1.2) [best quality] -- 50% off? #art @user ~~~ a/b\\c {x}",
    "It's what we've done; they'll say I'm sure you'd know, don't you? DON'T 'quoted'",
    "don\u2019t \u201cquoted\u201d \u2018single\u2019 text",
    "1234567 3.14159 2x4 1e10 \u00bd \u00b2 \u0663\u0664 \u2167",
    "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e na\u00efve Z\u00fcrich S\u00e3o Paulo cafe\u0301",
    "\u6771\u4eac\u306e\u591c\u666f \u5317\u4eac \uc11c\uc6b8 \u30ab\u30bf\u30ab\u30ca",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u043d\u043e\u0447\u044c\u044e, \u041a\u0440\u0435\u043c\u043b\u044c \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03c3\u03bf\u03c6\u03cc\u03c2",
    "\U0001f431 cat \U0001f469\u200d\U0001f680 astronaut \U0001f1eb\U0001f1f7 \u2764\ufe0f \U0001f44d\U0001f3fd",
    "Tom &amp; Jerry &lt;3 &quot;cartoon&quot; &#39;classic&#39; &eacute;t&eacute; &#x1F600; &amp;amp; &nbsp;x &copy 2024 &EACUTE; &#128; &#0; &#xD800;",
    "a <b>bold</b> &amp;amp;lt; move &notit; &amplifier",
    "  \t a   cat\n\n on\r\n a\u00a0mat \u3000 end \u2028 x\u0085y  ",
    "\uff2c\uff2f\uff35\uff24 \ufb01ne \ufb02ower \u0133s \u01c5",
    "a <|endoftext|> b <|startoftext|> c <|ENDOFTEXT|>",
    "\u0130stanbul \u00df stra\u00dfe \u1e9e \u01c4 \u2126",
    "\x00\x07bell \ufeffbom \x1b[31mred\x1b[0m \u206adeprecated",
    "price \x80 5 \x85 end \x81",
    "\u0645\u0631\u062d\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947 \u05e9\u05dc\u05d5\u05dd",
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
]


def padded(tokenizer: SimpleTokenizer, ids: list[int]) -> list[int]:
    sot = tokenizer.encoder["<|startoftext|>"]
    eot = tokenizer.encoder["<|endoftext|>"]
    tokens = [sot] + ids + [eot]
    if len(tokens) > CONTEXT_LENGTH:
        tokens = tokens[:CONTEXT_LENGTH]
        tokens[-1] = eot
    return tokens + [0] * (CONTEXT_LENGTH - len(tokens))


def main() -> None:
    tokenizer = SimpleTokenizer()
    print("const GOLDENS: readonly Golden[] = [")
    for prompt in PROMPTS:
        ids = tokenizer.encode(prompt)
        tokens = padded(tokenizer, ids)
        tokens = tokens[: len(tokens) - tokens[::-1].index(tokenizer.encoder["<|endoftext|>"])]
        print(f"  {{ prompt: {json.dumps(prompt)}, ids: {json.dumps(ids)}, tokens: {json.dumps(tokens)} }},")
    print("];")


if __name__ == "__main__":
    main()
