#!/usr/bin/env node
// `node src/cli.ts`, `npx portable-watch` and the image's `node dist/src/cli.js` all start here.
//
// Node runs TypeScript itself from 22.18 (and 23.6) on. An older Node cannot read the rest of src/, so this file
// is written to run on any Node: plain JavaScript, no import or export, in src/'s CommonJS scope (src/package.json;
// every directory below it is an ES module scope of its own). It checks the version, says in one line what to do
// when it is too old, and otherwise loads the CLI.
{
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(
      `portable-watch needs Node 22.18 or later to run from source (this is Node ${process.versions.node}): run \`npx portable-watch\` in the project, which uses the Node 24 that npm ci installed.\n`,
    );
    process.exitCode = 1;
  } else {
    void import('./commands/run-cli.ts');
  }
}
