/**
 * `onnx/`: the one protobuf reader of hybridgen. The engine scans graphs
 * with it (fp16 data, declared inputs); `@hybridgen/variants` rewrites
 * models with it (field iteration over bytes or a Blob, a writer that
 * copies unchanged fields byte for byte).
 */

export { type BlobLike, BlobReader, type BlobReaderOptions } from './blob-reader.js';
export { type DeclaredInput, onnxGraphInputs, onnxGraphUsesFloat16 } from './graph-scan.js';
export { encodeVarint, type Field, fieldString, fields, ProtoWriter, readField, readInts, readVarint, WIRE } from './wire.js';
