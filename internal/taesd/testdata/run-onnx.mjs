// Runs an ONNX decoder with onnxruntime-node (CPU) on the latent of a
// reference.json and prints {dims, maxAbsDiff} against its sample as JSON.
// A reference may name other tensors (the encoder's test): inputName,
// input, inputShape, outputName, output.
// Used by internal/taesd's Go test: node run-onnx.mjs <model.onnx> <reference.json>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../web/package.json', import.meta.url));
const ort = require('onnxruntime-node');

const [modelPath, referencePath] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(referencePath, 'utf8'));
const session = await ort.InferenceSession.create(modelPath);
const input = new ort.Tensor('float32', Float32Array.from(ref.input ?? ref.latent), ref.inputShape ?? ref.latentShape);
const outputs = await session.run({ [ref.inputName ?? 'latent_sample']: input });
const sample = outputs[ref.outputName ?? 'sample'];
ref.sample = ref.output ?? ref.sample;
let maxAbsDiff = sample.data.length === ref.sample.length ? 0 : Number.POSITIVE_INFINITY;
for (let i = 0; i < Math.min(sample.data.length, ref.sample.length); i++) {
  maxAbsDiff = Math.max(maxAbsDiff, Math.abs(sample.data[i] - ref.sample[i]));
}
let min = Number.POSITIVE_INFINITY;
let max = Number.NEGATIVE_INFINITY;
for (const v of sample.data) {
  min = Math.min(min, v);
  max = Math.max(max, v);
}
console.log(JSON.stringify({ dims: sample.dims, maxAbsDiff, min, max, inputs: session.inputNames, outputs: session.outputNames }));
