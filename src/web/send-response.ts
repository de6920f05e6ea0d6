import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * How the status page answers: compressed when the browser accepts it (a page of 1,000 flows is about a megabyte
 * of markup and a tenth of that on the wire), with an ETag so a refresh of an unchanged page costs a 304, and the
 * headers that keep a page showing other people's text safe: a strict Content-Security-Policy (only our own
 * scripts and styles, no inline code), no framing, no sniffing, no referrer leaving the page.
 */

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export interface Body {
  type: string;
  text: string | Buffer;
  /** `no-cache` for pages (revalidated with the ETag), a max-age for assets. */
  cacheControl: string;
  /** Extra headers: a redirect's location, an auth challenge. */
  headers?: Readonly<Record<string, string>>;
}

/** Brotli at a middle quality: most of its gain at a small part of its highest quality's cost. */
const BROTLI_QUALITY = 5;
const COMPRESS_ABOVE = 1_024;

export function send(request: IncomingMessage, response: ServerResponse, status: number, body: Body): void {
  const raw = typeof body.text === 'string' ? Buffer.from(body.text, 'utf8') : body.text;
  const etag = `"${createHash('sha1').update(raw).digest('base64url')}"`;
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': body.type, 'cache-control': body.cacheControl, vary: 'accept-encoding', ...body.headers };
  if (status === 200) headers.etag = etag;
  if (status === 200 && matches(request.headers['if-none-match'], etag)) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const encoding = raw.length > COMPRESS_ABOVE ? chooseEncoding(request.headers['accept-encoding']) : undefined;
  const payload = encoding === 'br' ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }) : encoding === 'gzip' ? gzipSync(raw) : raw;
  if (encoding !== undefined) headers['content-encoding'] = encoding;
  headers['content-length'] = String(payload.length);
  response.writeHead(status, headers);
  response.end(request.method === 'HEAD' ? undefined : payload);
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function chooseEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  const offered = (accept ?? '')
    .split(',')
    .map((part) => part.trim().split(';'))
    .filter(([, quality]) => quality === undefined || !/^\s*q=0(\.0*)?\s*$/.test(quality))
    .map(([name]) => name?.trim().toLowerCase());
  if (offered.includes('br')) return 'br';
  if (offered.includes('gzip')) return 'gzip';
  return undefined;
}

export function htmlBody(text: string, headers?: Readonly<Record<string, string>>): Body {
  return { type: 'text/html; charset=utf-8', text, cacheControl: 'no-cache', ...(headers === undefined ? {} : { headers }) };
}

export function textBody(text: string, headers?: Readonly<Record<string, string>>): Body {
  return { type: 'text/plain; charset=utf-8', text, cacheControl: 'no-store', ...(headers === undefined ? {} : { headers }) };
}
