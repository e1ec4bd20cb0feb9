/**
 * Protobuf wire format over bytes in memory: field iteration that keeps each
 * field's byte range (so unchanged fields are copied verbatim, unknown ones
 * included) and a writer that builds messages from parts without copying
 * large payloads twice.
 */

import { MalformedModelError } from '../engine/errors.js';

/** Wire types. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** One field of a message: its number, wire type and where it lies. */
export interface Field {
  readonly field: number;
  readonly wire: number;
  /** The varint value (wire 0), or the payload length (wire 2). Exact up to 2^53. */
  readonly value: number;
  /** Offset of the field's key (first byte of the field). */
  readonly headerStart: number;
  /** Offset of the payload (after the length for wire 2). */
  readonly start: number;
  /** Offset just past the field. */
  readonly end: number;
}

/**
 * Reads a varint at `pos` in `bytes`; returns the value and the offset after
 * it. `base` is added to offsets in error messages (position in the file).
 */
export function readVarint(bytes: Uint8Array, pos: number, base = 0): [number, number] {
  let result = 0;
  let scale = 1;
  let p = pos;
  for (let i = 0; i < 10; i++) {
    if (p >= bytes.length) throw new MalformedModelError('truncated varint', base + p);
    const b = bytes[p++] ?? 0;
    result += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [result, p];
    scale *= 128;
  }
  throw new MalformedModelError('varint longer than 10 bytes', base + pos);
}

/** Decodes one field header at `pos` and works out the field's extent; throws when it runs past `end`. */
export function readField(bytes: Uint8Array, pos: number, end: number, base = 0): Field {
  const [key, afterKey] = readVarint(bytes, pos, base);
  const field = Math.floor(key / 8);
  const wire = key % 8;
  if (field === 0) throw new MalformedModelError('field number 0', base + pos);
  let start = afterKey;
  let value = 0;
  let fieldEnd: number;
  if (wire === WIRE.VARINT) {
    [value, fieldEnd] = readVarint(bytes, afterKey, base);
  } else if (wire === WIRE.LEN) {
    [value, start] = readVarint(bytes, afterKey, base);
    fieldEnd = start + value;
  } else if (wire === WIRE.I64) {
    fieldEnd = afterKey + 8;
  } else if (wire === WIRE.I32) {
    fieldEnd = afterKey + 4;
  } else {
    throw new MalformedModelError(`unsupported wire type ${wire} (field ${field})`, base + pos);
  }
  if (fieldEnd > end) throw new MalformedModelError(`field ${field} runs ${fieldEnd - end} bytes past its message (truncated?)`, base + pos);
  return { field, wire, value, headerStart: pos, start, end: fieldEnd };
}

/** Every field of the message in `bytes[start, end)`, in order. */
export function* fields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const f = readField(bytes, pos, end);
    yield f;
    pos = f.end;
  }
}

/** The UTF-8 string payload of a LEN field. */
export function fieldString(bytes: Uint8Array, f: Field): string {
  return new TextDecoder().decode(bytes.subarray(f.start, f.end));
}

/** Values of a repeated integer field that may be packed (wire 2) or not (wire 0). */
export function readInts(bytes: Uint8Array, f: Field, into: number[]): void {
  if (f.wire === WIRE.VARINT) {
    into.push(f.value);
    return;
  }
  let pos = f.start;
  while (pos < f.end) {
    const [v, next] = readVarint(bytes, pos);
    into.push(v);
    pos = next;
  }
}

/** Bytes of a varint. */
export function encodeVarint(value: number): Uint8Array {
  if (value < 0 || !Number.isSafeInteger(value)) throw new RangeError(`cannot encode ${value} as an unsigned varint`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Builds a protobuf message from parts; `finish()` joins them once. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.size;
  }

  /** Appends bytes that are already encoded fields (e.g. a field copied verbatim). */
  raw(bytes: Uint8Array): this {
    if (bytes.byteLength) {
      this.parts.push(bytes);
      this.size += bytes.byteLength;
    }
    return this;
  }

  /** A varint field. */
  varint(field: number, value: number): this {
    return this.raw(encodeVarint(field * 8 + WIRE.VARINT)).raw(encodeVarint(value));
  }

  /** A length-delimited field (bytes, string, sub-message). */
  bytes(field: number, payload: Uint8Array): this {
    return this.raw(encodeVarint(field * 8 + WIRE.LEN))
      .raw(encodeVarint(payload.byteLength))
      .raw(payload);
  }

  /** A string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A sub-message field built by another writer (joined without an extra copy of its parts). */
  message(field: number, sub: ProtoWriter): this {
    this.raw(encodeVarint(field * 8 + WIRE.LEN)).raw(encodeVarint(sub.length));
    for (const part of sub.parts) this.raw(part);
    return this;
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    if (this.parts.length === 1 && this.parts[0]) return this.parts[0];
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}
