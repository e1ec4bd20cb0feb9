import { describe, expect, it } from 'vitest';
import { reviveError, serializeError } from '../rpc/errors.js';
import { DownloadError, IntegrityError, QuotaError } from './errors.js';
import { parseContentRange, parseEntityTag, serverSha256, strongEtag } from './server-hash.js';

describe('store errors across a worker boundary (the rpc registry)', () => {
  it('keep class, name, message, stack and fields', () => {
    const original = new QuotaError(5_000_000, 1_500_000);
    const revived = reviveError(structuredClone(serializeError(original)));
    expect(revived).toBeInstanceOf(QuotaError);
    expect(revived.name).toBe('QuotaError');
    expect(revived.message).toBe('not enough storage for the model: 5.0 MB needed, 1.5 MB available (3.5 MB short)');
    expect(revived.stack).toBe(original.stack);
    expect(revived).toMatchObject({ neededBytes: 5_000_000, availableBytes: 1_500_000 });

    const integrity = reviveError(serializeError(new IntegrityError('unet/model.onnx', 'a'.repeat(64), 'b'.repeat(64), 'server')));
    expect(integrity).toBeInstanceOf(IntegrityError);
    expect(integrity.message).toContain('the server announced');
    expect(reviveError(serializeError(new DownloadError('x', 404, 'HTTP 404')))).toMatchObject({ name: 'DownloadError', status: 404 });
  });
});

describe('server hash headers', () => {
  const sum = 'ab'.repeat(32);
  it('reads Hugging Face style SHA-256 validators', () => {
    expect(serverSha256(new Headers({ ETag: `"${sum}"` }))).toBe(sum);
    expect(serverSha256(new Headers({ 'X-Linked-Etag': `"${sum.toUpperCase()}"`, ETag: '"abc"' }))).toBe(sum);
    expect(serverSha256(new Headers({ ETag: `W/"${sum}"` }))).toBeNull();
    expect(serverSha256(new Headers({ ETag: '"d41d8cd98f00b204e9800998ecf8427e"' }))).toBeNull();
    expect(strongEtag(new Headers({ ETag: 'W/"x"' }))).toBeNull();
    expect(parseEntityTag('garbage')).toBeNull();
  });

  it('parses Content-Range', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: null });
    expect(parseContentRange('items 1-2/3')).toBeNull();
  });
});
