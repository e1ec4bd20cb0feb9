// Synthetic MatMul chain: x f32 [1,D] -> (Cast f16) -> MatMul x L -> (Cast f32) -> y, embedded or external data.
import { mkdirSync, writeFileSync } from 'node:fs';
const W = process.env.HG_NODE_MODULES ?? new URL('../../../web/node_modules/', import.meta.url).pathname;
const { default: onnxProto } = await import(`${W}onnx-proto/dist/onnx.js`);
const { onnx } = onnxProto;
const [root, width, layers] = process.argv.slice(3);
const [D, L] = [Number(width ?? 1024), Number(layers ?? 16)];
function half(f) { const b = new Float32Array([f]); const u = new Uint32Array(b.buffer)[0]; const s = (u >>> 16) & 0x8000; let e = ((u >>> 23) & 0xff) - 127 + 15; const m = u & 0x7fffff; if (e <= 0) return s; if (e >= 31) return s | 0x7c00; return s | (e << 10) | (m >>> 13); }
for (const precision of ['fp16', 'fp32']) for (const layout of ['embedded', 'external']) {
  const dir = `${root}/${precision}-${layout}`; mkdirSync(dir, { recursive: true });
  const nodes = []; const inits = []; const chunks = []; let offset = 0;
  let cur = 'x';
  if (precision === 'fp16') { nodes.push({ opType: 'Cast', input: ['x'], output: ['x_fp16'], attribute: [{ name: 'to', type: 2, i: 10 }] }); cur = 'x_fp16'; }
  let seed = 1;
  for (let l = 0; l < L; l++) {
    const n = D * D; const raw = precision === 'fp16' ? new Uint16Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; const v = ((seed / 2 ** 32) - 0.5) * 2 * Math.sqrt(3 / D); raw[i] = precision === 'fp16' ? half(v) : v; }
    const bytes = new Uint8Array(raw.buffer);
    const t = { name: `w${l}`, dims: [D, D], dataType: precision === 'fp16' ? 10 : 1 };
    if (layout === 'external') { t.dataLocation = 1; t.externalData = [{ key: 'location', value: 'model.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(bytes.byteLength) }]; chunks.push(bytes); offset += bytes.byteLength; }
    else t.rawData = bytes;
    inits.push(t);
    const outName = l === L - 1 ? (precision === 'fp16' ? 'y_fp16' : 'y') : `h${l}`;
    nodes.push({ opType: 'MatMul', input: [cur, `w${l}`], output: [outName] }); cur = outName;
  }
  if (precision === 'fp16') nodes.push({ opType: 'Cast', input: ['y_fp16'], output: ['y'], attribute: [{ name: 'to', type: 2, i: 1 }] });
  const vi = (name) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: D }] } } } });
  const model = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 14 }], graph: { name: 'g', node: nodes, initializer: inits, input: [vi('x')], output: [vi('y')] } }).finish();
  writeFileSync(`${dir}/model.onnx`, model);
  if (chunks.length) writeFileSync(`${dir}/model.onnx.data`, Buffer.concat(chunks));
  writeFileSync(`${dir}/meta.json`, JSON.stringify({ width: D, layers: L }));
  console.log(dir, model.byteLength, offset);
}
