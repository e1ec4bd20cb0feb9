/** The CLI as the GPU benchmark host runs it: files in, files and one JSON line out, exit codes. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-main.js';
import { writeSyntheticModel } from './synthetic.js';

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out, err };
}

describe('hybridgen-variants CLI', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'variants-cli-'));
    model = (await writeSyntheticModel(join(dir, 'in.onnx'), 4 * 256 * 256 * 2, 256)).path;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('convert writes the model and its data files and prints what it did', async () => {
    const r = await run(['convert', '--in', model, '--out', join(dir, 'f32'), '--max-file-mb', '0.5']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out[0] ?? '{}') as { counts: { initializersWidened: number; castsRemoved: number }; files: { name: string }[] };
    expect(result.counts).toMatchObject({ initializersWidened: 4, castsRemoved: 1 });
    expect(readdirSync(join(dir, 'f32')).sort()).toEqual(['model.onnx', 'model.onnx.data.0', 'model.onnx.data.1']);
    expect(result.files.map((f) => f.name)).toEqual(['model.onnx.data.0', 'model.onnx.data.1', 'model.onnx']);
  });

  it('quantize and scan', async () => {
    expect((await run(['quantize', '--in', model, '--out', join(dir, 'q')])).code).toBe(0);
    const scan = await run(['scan', '--in', join(dir, 'q', 'model.onnx')]);
    expect(scan.code).toBe(0);
    const facts = JSON.parse(scan.out[0] ?? '{}') as { bytesByType: Record<string, number>; usesFloat16: boolean };
    expect(facts.usesFloat16).toBe(false);
    expect(facts.bytesByType.int8).toBe(4 * 256 * 256);
  });

  it('a truncated input exits 1 with the error class, bad usage exits 2', async () => {
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, readFileSync(model).subarray(0, 100_000));
    const r = await run(['convert', '--in', truncated, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err[0] ?? '{}')).toMatchObject({ error: 'MalformedModelError' });
    expect(existsSync(join(dir, 'bad')) ? readdirSync(join(dir, 'bad')) : []).toEqual([]); // nothing written
    expect((await run(['convert', '--in', model])).code).toBe(2);
    expect((await run(['explode'])).code).toBe(2);
    expect((await run(['convert', '--in', model, '--out', dir, '--chunk-mb', 'x'])).code).toBe(2);
  });
});
