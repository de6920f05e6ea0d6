import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Body } from './send-response.ts';

/**
 * The page's own scripts and styles (src/web/assets/, copied beside the compiled code in the image) and uPlot's,
 * served from the installed package: no CDN, nothing fetched from elsewhere. Read once, on first request.
 */

const require = createRequire(import.meta.url);

const ASSETS: Readonly<Record<string, { file: () => string; type: string }>> = {
  'status-page.css': { file: () => own('status-page.css'), type: 'text/css; charset=utf-8' },
  'status-page.js': { file: () => own('status-page.js'), type: 'text/javascript; charset=utf-8' },
  'flow-page.js': { file: () => own('flow-page.js'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { file: () => own('favicon.svg'), type: 'image/svg+xml' },
  'uplot.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

function own(name: string): string {
  return fileURLToPath(new URL(`./assets/${name}`, import.meta.url));
}

const cache = new Map<string, Promise<Body>>();

/** The asset `/assets/{name}`, or undefined when there is none of that name. */
export function readAsset(name: string): Promise<Body> | undefined {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (asset === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    body = readFile(asset.file()).then((text) => ({ type: asset.type, text, cacheControl: 'public, max-age=300' }));
    // A failed read (a file missing from a broken install) is tried again at the next request.
    body.catch(() => cache.delete(name));
    cache.set(name, body);
  }
  return body;
}
