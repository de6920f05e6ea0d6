/**
 * A real browser for the status page's tests: Debian's Chromium (`apt-get install chromium`) driven by
 * playwright-core, since a browser download at install time is not possible here. Without one the browser tests
 * are skipped and say why, unless REQUIRE_BROWSER is set (as .ci/run does), where a missing browser is an error.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

function browserRequired(): boolean {
  const required = process.env.REQUIRE_BROWSER;
  return required !== undefined && required !== '' && required !== '0';
}

let skipReported = false;

/** Why the browser tests cannot run here, or undefined when they can; throws when they must run and cannot. */
export function browserSkipReason(): string | undefined {
  const path = chromiumPath();
  if (existsSync(path)) return undefined;
  if (browserRequired()) {
    throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const reason = `browser tests skipped: no Chromium at ${path} (apt-get install chromium, or set CHROMIUM_PATH; REQUIRE_BROWSER=1 makes this an error)`;
  if (!skipReported) console.warn(reason);
  skipReported = true;
  return reason;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // No GPU in CI, and nothing the browser would fetch for itself (updates, sync, field trials) may reach the network.
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /**
   * Everything that went wrong while the page was open, one line each: console errors, uncaught exceptions, dialogs,
   * requests that failed, and answers of 400 or more from our own origin. A test ends with `expect(problems).toEqual([])`.
   */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh context (no cookies, no cache) and page on `origin`, watched for problems from the first request on. */
export async function openPage(browser: Browser, origin: string, options: { viewport?: { width: number; height: number } } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL: origin, viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A dialog is script someone else's text made run (an `alert(1)` in an error message): noted, and closed at once.
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'unknown';
    // Leaving a page cancels its requests still in flight (a refresh poll, say): not a fault of the page.
    if (failure === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.method()} ${request.url()}: ${failure}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.url().startsWith(origin)) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { page, context, problems, close: () => context.close() };
}

/** Writes test-results/screenshots/<name>.png (not committed) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const directory = join('test-results', 'screenshots');
  await mkdir(directory, { recursive: true });
  const path = join(directory, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** `page.evaluate` of an expression: the test's TypeScript knows no DOM, the page does. */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** The element that has focus, as a keyboard test looks at it; `flow` is its status-page row's, if any. */
export interface Focused {
  tag: string;
  name: string | null;
  href: string | null;
  flow: string | null;
  /** Its index in its strip, for a mark. */
  mark: number | null;
  label: string | null;
  /** What the CSS tooltip shows (`::after`), quoted as CSS gives it; null when none shows. */
  tip: string | null;
}

export function focused(page: Page): Promise<Focused | null> {
  return inPage<Focused | null>(
    page,
    `(() => {
      const element = document.activeElement;
      if (element === null || element === document.body) return null;
      const row = element.closest('tr[data-flow]');
      const isMark = element.matches('ol.strip > li');
      const tip = getComputedStyle(element, '::after').content;
      return {
        tag: element.tagName.toLowerCase(), name: element.getAttribute('name'), href: element.getAttribute('href'),
        flow: row === null ? null : row.dataset.flow, mark: isMark ? [...element.parentElement.children].indexOf(element) : null,
        label: element.getAttribute('aria-label'), tip: tip === 'none' || tip === 'normal' ? null : tip,
      };
    })()`,
  );
}

/** Every stylesheet, script and icon the page names answers 200 (the browser may not ask for the icon itself). */
export async function assetsAnswer(page: Page): Promise<void> {
  const urls = await inPage<string[]>(page, `[...document.querySelectorAll('link[href], script[src]')].map((element) => element.href || element.src)`);
  expect(urls).toEqual(expect.arrayContaining([expect.stringContaining('/assets/favicon.svg')]));
  for (const url of urls) {
    const answer = await page.request.get(url);
    expect({ url, status: answer.status() }).toEqual({ url, status: 200 });
  }
}
