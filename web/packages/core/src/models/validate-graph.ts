import type { FileRole } from './types.js';

/** One problem in a manifest (see validate.ts). */
interface Issue {
  readonly field: string;
  readonly problem: string;
}

/** Element types a graph summary may name: the Go side's `models.ElementTypes`. */
export const ELEMENT_TYPES: readonly string[] = [
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
  'unknown',
];

const NON_GRAPH_ROLES: readonly FileRole[] = ['tokenizer', 'external_data'];
const DOMAIN = /^[A-Za-z0-9_.-]{1,128}$/;
const GRAPH_KEYS = new Set(['opsets', 'inputs', 'outputs', 'ops']);
const TENSOR_KEYS = new Set(['name', 'type', 'shape']);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDim = (d: unknown): boolean => d === null || (typeof d === 'string' && d !== '') || (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);

function checkTensors(field: string, value: unknown, issues: Issue[]): void {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ field, problem: 'must list at least one tensor' });
    return;
  }
  value.forEach((t: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(t)) {
      issues.push({ field: at, problem: 'must be an object' });
      return;
    }
    for (const key of Object.keys(t)) if (!TENSOR_KEYS.has(key)) issues.push({ field: `${at}.${key}`, problem: 'unknown field' });
    if (typeof t.name !== 'string' || t.name === '' || typeof t.type !== 'string' || !ELEMENT_TYPES.includes(t.type)) {
      issues.push({ field: at, problem: `needs a name and a type (one of ${ELEMENT_TYPES.join(', ')})` });
    }
    if (!Array.isArray(t.shape) || !t.shape.every(isDim)) {
      issues.push({ field: `${at}.shape`, problem: 'must list dimensions: integers >= 0, names or null' });
    }
  });
}

/** Checks a file's optional `graph` summary: the same rules as the Go side's `validateGraph`. */
export function checkGraph(field: string, role: unknown, value: unknown, issues: Issue[]): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    issues.push({ field, problem: 'must be an object' });
    return;
  }
  if (NON_GRAPH_ROLES.includes(role as FileRole)) issues.push({ field, problem: `a ${String(role)} file is not an ONNX graph` });
  for (const key of Object.keys(value)) if (!GRAPH_KEYS.has(key)) issues.push({ field: `${field}.${key}`, problem: 'unknown field' });
  const opsets = value.opsets;
  if (!isObject(opsets) || !Object.entries(opsets).every(([d, v]) => DOMAIN.test(d) && Number.isSafeInteger(v) && (v as number) > 0)) {
    issues.push({ field: `${field}.opsets`, problem: 'want domain names mapped to versions > 0' });
  }
  checkTensors(`${field}.inputs`, value.inputs, issues);
  checkTensors(`${field}.outputs`, value.outputs, issues);
  const ops = value.ops;
  const goodOps = (list: unknown): boolean => Array.isArray(list) && list.length > 0 && list.every((op) => typeof op === 'string' && op !== '');
  if (!isObject(ops) || Object.keys(ops).length === 0) {
    issues.push({ field: `${field}.ops`, problem: 'must list the operators of at least one domain' });
  } else if (!Object.entries(ops).every(([d, list]) => DOMAIN.test(d) && goodOps(list))) {
    issues.push({ field: `${field}.ops`, problem: 'want domain names mapped to non-empty lists of operator names' });
  }
}
