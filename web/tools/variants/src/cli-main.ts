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
import { convertToFloat32, quantizeWeightsInt8, scanModelFile, type TransformOptions } from '@hybridgen/variants';
import { withMemoryPeaks } from './memory.js';
import { DiskFolder, externalResolver, FileBlob } from './node-files.js';
import { writeSyntheticModel } from './synthetic.js';

const MiB = 1024 ** 2;

const OPTIONS = {
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
} as const;

/** A usage or argument error: exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

/** Where the CLI writes: one JSON line per result, errors as JSON lines. */
export interface CliOutput {
  log(line: string): void;
  error(line: string): void;
}

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
}

const USAGE =
  'usage: hybridgen-variants convert|quantize --in MODEL --out DIR [--name model.onnx] [--threshold B] [--max-file-mb MB] [--chunk-mb MB] [--min-elements N]\n' +
  '       hybridgen-variants scan --in MODEL\n' +
  '       hybridgen-variants bench-memory --size-mb N [--width 4096] [--dir DIR]';

function number(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

function transformOptions(values: Values): TransformOptions {
  return {
    outputName: values.name ?? 'model.onnx',
    externalDataThresholdBytes: number('threshold', values.threshold),
    maxExternalFileBytes: number('max-file-mb', values['max-file-mb']) * MiB,
    chunkBytes: Math.round((number('chunk-mb', values['chunk-mb']) * MiB) / 8) * 8,
  };
}

async function runTransform(values: Values, kind: 'convert' | 'quantize', input: string, out: string) {
  const blob = new FileBlob(input);
  const external = externalResolver(input);
  try {
    const options = { ...transformOptions(values), resolveExternal: external.resolve };
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

async function main(values: Values, positionals: readonly string[], out: CliOutput): Promise<void> {
  const command = positionals[0];
  if (!command) throw new UsageError('no command');
  if (command === 'convert' || command === 'quantize') {
    if (!values.in || !values.out) throw new UsageError(`${command} needs --in and --out`);
    out.log(JSON.stringify(await runTransform(values, command, values.in, values.out)));
  } else if (command === 'scan') {
    if (!values.in) throw new UsageError('scan needs --in');
    const blob = new FileBlob(values.in);
    try {
      out.log(JSON.stringify({ in: values.in, ...(await scanModelFile(blob)) }));
    } finally {
      blob.close();
    }
  } else if (command === 'bench-memory') {
    const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'variants-bench-'));
    try {
      const model = await writeSyntheticModel(join(dir, 'synthetic-fp16.onnx'), number('size-mb', values['size-mb']) * MiB, number('width', values.width));
      out.log(JSON.stringify({ synthetic: model }));
      for (const kind of ['convert', 'quantize'] as const) {
        const r = await runTransform(values, kind, model.path, join(dir, kind));
        out.log(
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
  } else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

/**
 * Runs the CLI on `argv` (without `node` and the script); returns the exit
 * code: 0 done, 1 the transform failed (a JSON line with the error's class
 * and message on `error`), 2 bad usage.
 */
export async function runCli(argv: readonly string[], out: CliOutput = { log: console.log, error: console.error }): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    out.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    out.log(USAGE);
    return 0;
  }
  try {
    await main(parsed.values, parsed.positionals, out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    const e = error as Error;
    out.error(JSON.stringify({ error: e.name, message: e.message }));
    return 1;
  }
}
