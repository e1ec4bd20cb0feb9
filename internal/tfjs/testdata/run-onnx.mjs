// Runs an ONNX model with onnxruntime-node (web/node_modules) on one NCHW
// float32 input and prints the output's dims and values as JSON.
// usage: node run-onnx.mjs model.onnx input.json  (input.json: {"dims": [...], "data": [...]})
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../web/packages/core/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const [model, inputPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
const session = await ort.InferenceSession.create(model);
const out = await session.run({ image: new ort.Tensor('float32', Float32Array.from(input.data), input.dims) });
const t = out.upscaled;
process.stdout.write(JSON.stringify({ dims: t.dims, data: Array.from(t.data) }));
