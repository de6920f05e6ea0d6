/**
 * The bench in a browser's place, on loopback: GETs a page of the worker and times it to its last byte, keeping
 * the bytes as they crossed the wire (compressed, what the page weighs) and as the browser reads them.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** What Chrome and Firefox offer over HTTPS (a proxy in front of the worker passes it on). */
export const HTTPS_BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';
/** What they offer over plain http://: brotli only ever over TLS. */
export const PLAIN_HTTP_BROWSER_ENCODINGS = 'gzip, deflate';

export interface PageFetch {
  status: number;
  /** From sending the request to its last byte received. */
  ms: number;
  /** The body as it crossed the wire. */
  wireBytes: number;
  /** content-encoding: `br`, `gzip` or `identity`. */
  encoding: string;
  /** The body decompressed. */
  text: string;
}

/**
 * A fresh connection per request (no keep-alive): requests seconds apart would otherwise race the server's
 * keep-alive timeout, and a connect costs a fraction of a millisecond on loopback.
 */
export function fetchPage(port: number, path: string, acceptEncoding: string | undefined): Promise<PageFetch> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const headers = { accept: 'text/html', connection: 'close', ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }) };
    const outgoing = request({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const ms = performance.now() - startedAt;
        const wire = Buffer.concat(chunks);
        const encoding = String(response.headers['content-encoding'] ?? 'identity');
        const body = encoding === 'br' ? brotliDecompressSync(wire) : encoding === 'gzip' ? gunzipSync(wire) : wire;
        resolve({ status: response.statusCode ?? 0, ms, wireBytes: wire.length, encoding, text: body.toString('utf8') });
      });
    });
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error(`GET ${path}: no answer within 30 s`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}
