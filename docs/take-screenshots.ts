/**
 * `npm run screenshots`: the README's pictures of the status page, taken from the demo as anyone can run it —
 * `portable-watch demo --keep` on a free port, Debian's Chromium through playwright-core once the story is told —
 * into docs/status-page.png and docs/flow-page.png.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = spawn(process.execPath, ['src/cli.ts', 'demo', '--keep'], { cwd: root, env: { ...process.env, HTTP_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
demo.stdout.on('data', (chunk: Buffer) => {
  output += chunk.toString();
});

try {
  const url = await until(() => /The status page: (http:\/\/\S+\/) /.exec(output)?.[1], 'the page address');
  await until(() => (output.includes('press Ctrl-C to stop') ? true : undefined), 'the end of the story');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 640 }, colorScheme: 'light' });
    await page.goto(url);
    await page.screenshot({ path: `${root}docs/status-page.png` });
    const href = await page.locator('table#flows tbody tr a').first().getAttribute('href');
    await page.goto(new URL(href ?? '/', url).toString());
    await page.waitForSelector('#duration-chart canvas');
    await page.screenshot({ path: `${root}docs/flow-page.png`, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log('wrote docs/status-page.png and docs/flow-page.png');
} finally {
  demo.kill('SIGINT');
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} from the demo within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
