/**
 * What a status page holds and where its bytes are: rows and strip marks counted from its HTML, the strips' share
 * of the markup, and the page compressed here as src/web/send-response.ts compresses it, timed apart from the rest.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { round } from './redis-probe.ts';
import { percentile } from './statistics.ts';

/** What src/web/send-response.ts uses. */
const BROTLI_QUALITY = 5;
// Tolerant of quotes left out, as HTML allows and the renderer may do to save bytes.
const ROW = /<tr\b[^>]*\bdata-flow=/g;
const MARK = /<li\b[^>]*\bclass="?o-/g;
const STRIP = /<ol\b[^>]*\bclass="?strip\b[\s\S]*?<\/ol>/g;

export interface PageWeight {
  rows: number;
  marks: number;
  rawBytes: number;
  /** The strips' markup (`<ol class=strip>…</ol>`), uncompressed. */
  stripBytes: number;
  stripShare: number;
  brotliBytes: number;
  brotliMs: number;
  gzipBytes: number;
  gzipMs: number;
  /** The page without its strips, brotli: what everything else weighs. */
  brotliWithoutStrips: number;
}

export function weighPage(html: string): PageWeight {
  const raw = Buffer.from(html, 'utf8');
  const stripBytes = [...html.matchAll(STRIP)].reduce((total, match) => total + Buffer.byteLength(match[0]), 0);
  const brotli = (input: Buffer) => brotliCompressSync(input, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  const brotliTimed = timed(() => brotli(raw));
  const gzipTimed = timed(() => gzipSync(raw));
  return {
    rows: [...html.matchAll(ROW)].length,
    marks: [...html.matchAll(MARK)].length,
    rawBytes: raw.length,
    stripBytes,
    stripShare: Math.round((stripBytes / raw.length) * 100),
    brotliBytes: brotliTimed.bytes,
    brotliMs: brotliTimed.ms,
    gzipBytes: gzipTimed.bytes,
    gzipMs: gzipTimed.ms,
    brotliWithoutStrips: brotli(Buffer.from(html.replaceAll(STRIP, ''), 'utf8')).length,
  };
}

/** The median of three runs: the first may pay for warming up. */
function timed(compress: () => Buffer): { ms: number; bytes: number } {
  const runs = [0, 1, 2].map(() => {
    const startedAt = performance.now();
    const bytes = compress().length;
    return { ms: performance.now() - startedAt, bytes };
  });
  const times = runs.map((run) => run.ms).sort((first, second) => first - second);
  return { ms: round(percentile(times, 50)), bytes: runs[0]?.bytes ?? 0 };
}
