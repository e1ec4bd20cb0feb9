#!/usr/bin/env node
/**
 * `hybridgen-variants`: the model-variant transforms of @hybridgen/core in Node.
 *
 *   convert  --in model.onnx --out DIR   fp16 -> fp32, large weights as external data
 *   quantize --in model.onnx --out DIR   int8 MatMul/Conv/Gemm weights (+ fp16 -> fp32 for the rest)
 *   scan     --in model.onnx             initializer sizes and types (the budget check's facts)
 *   bench-memory --size-mb N [--dir DIR] synthetic fp16 model of N MB through both transforms, peak memory
 *
 * Options of convert/quantize: --name model.onnx, --threshold BYTES (external data, default 1024),
 * --max-file-mb MB (per data file, default 1024), --chunk-mb MB (read step, default 4),
 * --min-elements N (quantize). Prints one JSON object per result on stdout.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertToFloat32, quantizeWeightsInt8, scanModelFile, type TransformOptions } from '@hybridgen/core/variants';
import { withMemoryPeaks } from './memory.js';
import { DiskFolder, externalResolver, FileBlob } from './node-files.js';
import { writeSyntheticModel } from './synthetic.js';

const MiB = 1024 ** 2;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string', default: 'model.onnx' },
    threshold: { type: 'string', default: '1024' },
    'max-file-mb': { type: 'string', default: '1024' },
    'chunk-mb': { type: 'string', default: '4' },
    'min-elements': { type: 'string', default: '4096' },
    'size-mb': { type: 'string', default: '1024' },
    width: { type: 'string', default: '4096' },
    dir: { type: 'string' },
    help: { type: 'boolean' },
  },
});

function usage(code: number): never {
  console.log(
    'usage: hybridgen-variants convert|quantize --in MODEL --out DIR [--name model.onnx] [--threshold B] [--max-file-mb MB] [--chunk-mb MB] [--min-elements N]\n' +
      '       hybridgen-variants scan --in MODEL\n' +
      '       hybridgen-variants bench-memory --size-mb N [--width 4096] [--dir DIR]',
  );
  process.exit(code);
}

function number(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

function transformOptions(): TransformOptions {
  return {
    outputName: values.name ?? 'model.onnx',
    externalDataThresholdBytes: number('threshold', values.threshold),
    maxExternalFileBytes: number('max-file-mb', values['max-file-mb']) * MiB,
    chunkBytes: Math.round((number('chunk-mb', values['chunk-mb']) * MiB) / 8) * 8,
  };
}

async function runTransform(kind: 'convert' | 'quantize', input: string, out: string) {
  const blob = new FileBlob(input);
  const external = externalResolver(input);
  try {
    const options = { ...transformOptions(), resolveExternal: external.resolve };
    const run =
      kind === 'convert'
        ? () => convertToFloat32(blob, new DiskFolder(out), options)
        : () => quantizeWeightsInt8(blob, new DiskFolder(out), { ...options, quantize: { minElements: number('min-elements', values['min-elements']) } });
    const { value, peaks, ms } = await withMemoryPeaks(run);
    return { command: kind, in: input, out, inputBytes: blob.size, ms: Math.round(ms), ...value, memory: peaks };
  } finally {
    blob.close();
    external.close();
  }
}

async function main(): Promise<void> {
  const command = positionals[0];
  if (values.help || !command) usage(values.help ? 0 : 2);
  if (command === 'convert' || command === 'quantize') {
    if (!values.in || !values.out) usage(2);
    console.log(JSON.stringify(await runTransform(command, values.in, values.out)));
  } else if (command === 'scan') {
    if (!values.in) usage(2);
    const blob = new FileBlob(values.in);
    console.log(JSON.stringify({ in: values.in, ...(await scanModelFile(blob)) }));
    blob.close();
  } else if (command === 'bench-memory') {
    const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'variants-bench-'));
    try {
      const model = await writeSyntheticModel(join(dir, 'synthetic-fp16.onnx'), number('size-mb', values['size-mb']) * MiB, number('width', values.width));
      console.log(JSON.stringify({ synthetic: model }));
      for (const kind of ['convert', 'quantize'] as const) {
        const r = await runTransform(kind, model.path, join(dir, kind));
        console.log(
          JSON.stringify({
            command: kind,
            inputMB: Math.round(model.bytes / MiB),
            outputMB: Math.round(r.initializerBytes / MiB),
            ms: r.ms,
            peakRssGrowthMB: Math.round((r.memory.rssBytes - r.memory.baseline.rssBytes) / MiB),
            peakArrayBuffersGrowthMB: Math.round((r.memory.arrayBuffersBytes - r.memory.baseline.arrayBuffersBytes) / MiB),
            peakHeapUsedMB: Math.round(r.memory.heapUsedBytes / MiB),
            files: r.files.length,
          }),
        );
        if (!values.dir) rmSync(join(dir, kind), { recursive: true, force: true });
      }
    } finally {
      if (!values.dir) rmSync(dir, { recursive: true, force: true });
    }
  } else usage(2);
}

main().catch((error: unknown) => {
  const e = error as Error;
  console.error(JSON.stringify({ error: e.name, message: e.message }));
  process.exit(1);
});
