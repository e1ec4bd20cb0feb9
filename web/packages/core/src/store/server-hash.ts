/** A parsed entity tag. */
export interface EntityTag {
  /** The header value as sent, for If-Range. */
  readonly raw: string;
  readonly weak: boolean;
  /** The opaque value without quotes or `W/`. */
  readonly value: string;
}

/** Parses an ETag header value; null for a missing or malformed one. */
export function parseEntityTag(header: string | null): EntityTag | null {
  if (!header) return null;
  const raw = header.trim();
  const weak = raw.startsWith('W/');
  const quoted = weak ? raw.slice(2) : raw;
  const match = /^"([^"]*)"$/.exec(quoted);
  return match?.[1] !== undefined ? { raw, weak, value: match[1] } : null;
}

/**
 * The SHA-256 a server announces for a response, Hugging Face style: the
 * `X-Linked-Etag` (LFS files behind a redirect) or else the strong `ETag`,
 * when it is 64 hex digits. Null otherwise.
 */
export function serverSha256(headers: Headers): string | null {
  for (const name of ['X-Linked-Etag', 'ETag']) {
    const tag = parseEntityTag(headers.get(name));
    if (tag && !tag.weak && /^[0-9a-fA-F]{64}$/.test(tag.value)) return tag.value.toLowerCase();
  }
  return null;
}

/**
 * The git blob SHA-1 a server announces: a strong `ETag` of 40 hex digits,
 * as Hugging Face sends for a file not kept in LFS. Null otherwise.
 */
export function serverGitBlobSha1(headers: Headers): string | null {
  const tag = parseEntityTag(headers.get('ETag'));
  return tag && !tag.weak && /^[0-9a-fA-F]{40}$/.test(tag.value) ? tag.value.toLowerCase() : null;
}

/** The strong validator usable with If-Range, or null. */
export function strongEtag(headers: Headers): string | null {
  const tag = parseEntityTag(headers.get('ETag'));
  return tag && !tag.weak ? tag.raw : null;
}

/** Parses `Content-Range: bytes a-b/total`; null when absent or malformed. */
export function parseContentRange(header: string | null): { readonly start: number; readonly end: number; readonly total: number | null } | null {
  const match = header ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}
