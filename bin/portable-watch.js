#!/usr/bin/env node
// The package's `portable-watch` command (package.json "bin"), so `npx portable-watch <command>` works: in a clone
// it runs the TypeScript source through src/cli.ts, which first checks that this Node can; in the image, where
// only the compiled dist/ is copied, the compiled CLI. Plain JavaScript, so any Node gets this far.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { URL } from 'node:url';

if (existsSync(new URL('../src/cli.ts', import.meta.url))) {
  // require, not import: a Node too old to strip types still runs src/cli.ts (CommonJS), which then says so.
  createRequire(import.meta.url)('../src/cli.ts');
} else {
  await import('../dist/src/cli.js');
}
