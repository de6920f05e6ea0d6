import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilenceStore } from '../../src/silences/silence-store.ts';
import { assetsAnswer, browserSkipReason, focused, inPage, launchBrowser, openPage, screenshot, type Focused, type WatchedPage } from '../support/browser.ts';
import { eventually } from '../support/redis.ts';
import { startPageServer, type PageServer } from '../support/status-page-server.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * The status page in a real browser (Debian's Chromium), against a worker watching the simulator: what a data team
 * looking at it would notice. One browser and one worker for the file; each test opens its own page.
 */

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const FIRST_LINE = 'Failed to connect to the source: connection refused (10.0.0.5:5432)';
const ERROR = `${FIRST_LINE}\n    at PgConnector.open (pg-connector.js:42)\n    at Sync.run (sync.js:7)`;
const WRITE_TOKEN = 'ui-write-token-3b81f0';
const FLOWS = [
  '  - { id: 101, name: Events to Snowflake }',
  '  - { id: 102, name: Orders, labels: { team: growth } }',
  `  - { id: 103, name: "${XSS}" }`,
  '  - { id: 104, name: Invoices, labels: { team: finance } }',
].join('\n');
const MINUTE = 60_000;
const TEST = { timeout: 60_000 };
/** For what follows at once from an action (a filter's fetch, a redirect): seconds only on a loaded machine. */
const SOON = { timeout: 10_000 };

const skip = browserSkipReason();

const rowKeys = (page: Page) => inPage<string[]>(page, `[...document.querySelectorAll('table#flows tbody tr[data-flow]')].map((row) => row.dataset.flow)`);
const rowStates = (page: Page) => inPage<string[]>(page, `[...document.querySelectorAll('table#flows tbody tr[data-flow]')].map((row) => row.dataset.state)`);

describe.skipIf(skip !== undefined)('the status page in a browser', () => {
  let harness: Harness;
  let writable: PageServer;
  let readOnly: PageServer;
  let browser: Browser;
  const opened: WatchedPage[] = [];

  async function open(server: PageServer, path = '/'): Promise<WatchedPage> {
    const watched = await openPage(browser, new URL(server.url()).origin);
    opened.push(watched);
    await watched.page.goto(path);
    return watched;
  }

  beforeAll(async () => {
    const now = Date.now();
    [harness, browser] = await Promise.all([startHarness(FLOWS, 'pollEvery: 1s\n  maxRuntime: 1h\n  backfill: 1h\n  labels: { env: prod }'), launchBrowser()]);
    const { simulator } = harness;
    for (const id of [101, 102, 103, 104]) simulator.addFlow({ id });
    for (const minutes of [50, 40, 30]) simulator.addAttempt(101, { state: 'succeeded', createdAt: now - minutes * MINUTE, completedAt: now - minutes * MINUTE + 190_000 });
    simulator.addAttempt(101, { state: 'failed', errors: [ERROR], createdAt: now - 20 * MINUTE, completedAt: now - 20 * MINUTE + 242_000 });
    for (const minutes of [45, 15]) simulator.addAttempt(102, { state: 'succeeded', createdAt: now - minutes * MINUTE, completedAt: now - minutes * MINUTE + 60_000 });
    // Fails later than 101, so 101 stays the first row: rows in the same state go oldest first.
    simulator.addAttempt(103, { state: 'failed', errors: [`${XSS}\n${XSS}`], createdAt: now - 6 * MINUTE, completedAt: now - 5 * MINUTE });
    simulator.addAttempt(104, { state: 'succeeded', createdAt: now - 10 * MINUTE, completedAt: now - 9 * MINUTE });
    const service = await harness.startService();
    await eventually(
      async () => {
        const report = await service.statusReport();
        const checked = report.flows.length === 4 && report.flows.every((flow) => flow.lastCheck !== null);
        const failing = report.flows.filter((flow) => flow.runIncident !== null).map((flow) => flow.id);
        return checked && failing.length === 2 ? true : undefined;
      },
      'a first check of every flow',
    );
    [writable, readOnly] = await Promise.all([
      startPageServer(service, { prefix: harness.prefix, writeToken: WRITE_TOKEN }),
      startPageServer(service, { prefix: harness.prefix }),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(opened.map((watched) => watched.close()));
    await browser?.close();
    await Promise.all([writable?.close(), readOnly?.close()]);
    await harness?.close();
  });

  it('shows the failing flow first, with its error in its row', TEST, async () => {
    const { page, problems } = await open(writable);
    expect(await rowKeys(page)).toEqual(['101', '103', '102', '104']);
    expect(await rowStates(page)).toEqual(['failing', 'failing', 'ok', 'ok']);
    const first = page.locator('table#flows tbody tr').first();
    expect(await first.getAttribute('data-flow')).toBe('101');
    expect(await first.locator('a[href="/flows/101"]').innerText()).toBe('Events to Snowflake');
    expect(await first.locator('.problem').innerText()).toBe(FIRST_LINE);
    const marks = first.locator('ol.strip li');
    expect(await marks.count()).toBe(4);
    expect(await marks.last().getAttribute('class')).toContain('o-f');
    expect(await marks.last().getAttribute('aria-label')).toMatch(/^failed, started \d{4}-\d\d-\d\d \d\d:\d\d UTC, 4m 2s$/);
    expect(await first.locator('ol.strip li[tabindex="0"]').count()).toBe(1);
    await screenshot(page, 'status-page');
    expect(problems).toEqual([]);
  });

  it('adds a newly failed attempt to the strip without a reload', TEST, async () => {
    const { page, problems } = await open(writable);
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await page.evaluate('window.__marker = 1');
    const marks = page.locator('tr[data-flow="101"] ol.strip li');
    const before = await marks.count();
    const attempt = harness.simulator.addAttempt(101, { state: 'failed', errors: ['Failed to connect to the source: timeout'], createdAt: Date.now() - 30_000 });

    await expect.poll(() => marks.count(), { timeout: 20_000 }).toBe(before + 1);
    expect(await marks.last().getAttribute('data-attempt')).toBe(String(attempt.id));
    expect(await marks.last().getAttribute('class')).toContain('o-f');
    expect(await page.evaluate('window.__marker')).toBe(1);
    expect(navigations).toBe(0);
    expect(problems).toEqual([]);
  });

  it('filters by state, search and label, keeps the filters in the URL, and keeps them across a reload and a refresh', TEST, async () => {
    const { page, problems } = await open(writable);
    await page.evaluate('window.__marker = 1');
    await page.locator('select[name=state]').selectOption('ok');
    await expect.poll(() => new URL(page.url()).searchParams.get('state'), SOON).toBe('ok');
    await expect.poll(() => rowKeys(page), SOON).toEqual(['102', '104']);
    expect(await rowStates(page)).toEqual(['ok', 'ok']);

    await page.locator('input[name=q]').pressSequentially('orde');
    await expect.poll(() => new URL(page.url()).searchParams.get('q'), SOON).toBe('orde');
    await expect.poll(() => rowKeys(page), SOON).toEqual(['102']);
    expect(await page.evaluate('window.__marker')).toBe(1);

    await page.reload();
    expect(await page.locator('select[name=state]').inputValue()).toBe('ok');
    expect(await page.locator('input[name=q]').inputValue()).toBe('orde');
    expect(await rowKeys(page)).toEqual(['102']);
    // The next live refresh asks for the same filters and puts in a new table, still of only their rows.
    const refreshed = page.waitForResponse((response) => response.request().resourceType() === 'fetch', { timeout: 15_000 });
    await page.evaluate(`document.querySelector('table#flows').dataset.stale = 'yes'`);
    expect(new URL((await refreshed).url()).search).toBe('?state=ok&q=orde');
    await expect.poll(() => inPage<string | null>(page, `document.querySelector('table#flows').dataset.stale ?? null`), SOON).toBeNull();
    expect(await rowKeys(page)).toEqual(['102']);

    await page.goto('/');
    await page.locator('select[name=label]').selectOption('team=growth');
    await expect.poll(() => new URL(page.url()).searchParams.get('label'), SOON).toBe('team=growth');
    await expect.poll(() => rowKeys(page), SOON).toEqual(['102']);
    await page.locator('select[name=label]').selectOption('env=prod');
    await expect.poll(() => rowKeys(page).then((keys) => keys.length), SOON).toBe(4);
    expect(await page.locator('select[name=account]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows a script in a flow name and error as text, and runs none of it', TEST, async () => {
    const { page, problems } = await open(writable);
    const row = page.locator('tr[data-flow="103"]');
    expect(await row.locator('a[href="/flows/103"]').innerText()).toBe(XSS);
    expect(await row.locator('.problem').innerText()).toBe(XSS);
    expect(await page.locator('img[src=x]').count()).toBe(0);
    // The script puts the rows in again (a filter change refreshes at once): still as text.
    await page.locator('select[name=state]').selectOption('failing');
    await expect.poll(() => rowKeys(page), SOON).toEqual(['101', '103']);
    expect(await row.locator('.problem').innerText()).toBe(XSS);
    expect(await page.locator('img[src=x]').count()).toBe(0);

    await page.goto('/flows/103');
    expect(await page.locator('h1').innerText()).toContain(XSS);
    expect(await page.locator('pre.error').first().innerText()).toBe(`${XSS}\n${XSS}`);
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await page.title()).toContain(XSS);
    expect(problems).toEqual([]);
  });

  it('loads the list and a flow page without an error, with the full error text and a chart', TEST, async () => {
    const { page, problems } = await open(writable);
    // A refresh by script (a filter changed and changed back), so that part has run too.
    await page.locator('select[name=state]').selectOption('failing');
    await expect.poll(() => rowKeys(page), SOON).toEqual(['101', '103']);
    await page.locator('select[name=state]').selectOption('');
    await expect.poll(() => rowKeys(page).then((keys) => keys.length), SOON).toBe(4);
    await assetsAnswer(page);

    await page.locator('a[href="/flows/101"]').click();
    await page.waitForURL('**/flows/101');
    expect(await page.locator('pre.error').first().innerText()).toBe(ERROR);
    expect(await page.locator('dl dt').allInnerTexts()).toEqual(expect.arrayContaining(['pollEvery', 'maxRuntime', 'schedule']));
    await page.locator('#duration-chart canvas').first().waitFor({ state: 'attached', timeout: 10_000 });
    await assetsAnswer(page);
    await screenshot(page, 'flow-page');
    expect(problems).toEqual([]);
  });

  it('is usable with the keyboard alone', TEST, async () => {
    const { page, problems } = await open(writable);
    const stops: Focused[] = [];
    for (let tab = 0; tab < 40; tab += 1) {
      await page.keyboard.press('Tab');
      const stop = await focused(page);
      if (stop !== null) stops.push(stop);
      if (stop?.flow === '101' && stop.mark !== null) break;
    }
    const named = stops.map((stop) => `${stop.tag}${stop.name === null ? '' : `[name=${stop.name}]`}`);
    expect(named).toEqual(expect.arrayContaining(['input[name=q]', 'select[name=state]', 'select[name=label]']));
    const marks = page.locator('tr[data-flow="101"] ol.strip li');
    const count = await marks.count();
    const [link, mark] = stops.slice(-2);
    expect(link?.href).toBe('/flows/101');
    expect(mark).toMatchObject({ flow: '101', mark: count - 1 });
    // One tab stop per strip: the next Tab leaves it for the next row.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ href: '/flows/103' });
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatchObject({ flow: '101', mark: count - 1 });

    await page.keyboard.press('ArrowLeft');
    const previous = await focused(page);
    const label = await marks.nth(count - 2).getAttribute('aria-label');
    expect(previous).toMatchObject({ flow: '101', mark: count - 2, label });
    expect(previous?.tip).toBe(JSON.stringify(label));
    expect(await marks.nth(count - 2).getAttribute('tabindex')).toBe('0');
    expect(await marks.nth(count - 1).getAttribute('tabindex')).toBe('-1');
    await page.keyboard.press('Home');
    expect(await focused(page)).toMatchObject({ mark: 0 });
    await page.keyboard.press('ArrowRight');
    expect(await focused(page)).toMatchObject({ mark: 1 });
    await page.keyboard.press('End');
    expect(await focused(page)).toMatchObject({ mark: count - 1 });

    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatchObject({ href: '/flows/101' });
    await page.keyboard.press('Enter');
    await page.waitForURL('**/flows/101');
    expect(await page.locator('h1').innerText()).toContain('Events to Snowflake');
    expect(problems).toEqual([]);
  });

  it('adds and removes a silence with the write token, and refuses one without it', TEST, async () => {
    const store = createSilenceStore(harness.redis, harness.prefix);
    const { page, problems } = await open(writable);
    try {
      const form = page.locator('form#add-silence');
      const fill = async (token: string) => {
        await form.locator('input[name=flow]').fill('101');
        await form.locator('input[name=for]').fill('2h');
        await form.locator('input[name=reason]').fill('source database migration, ask Ada');
        await form.locator('input[name=token]').fill(token);
      };
      /** Submits with `button` and waits for the page the browser lands on (after a redirect, if one). */
      const submit = async (button: ReturnType<Page['locator']>, landing: RegExp) => {
        const [response] = await Promise.all([page.waitForResponse((each) => each.request().method() === 'POST'), button.click()]);
        await page.waitForURL(landing);
        return response;
      };

      await fill('not-the-token');
      const refused = await submit(form.locator('button[type=submit]'), /\/silences$/);
      expect(refused.status()).toBe(403);
      expect(await page.locator('p[role=status].notice').innerText()).toMatch(/token/i);
      expect(await form.locator('input[name=flow]').inputValue()).toBe('101');
      expect(await form.locator('input[name=token]').inputValue()).toBe('');
      expect(await store.list(Date.now())).toEqual([]);
      // The refusal is the one expected error: its answer, and Chromium's console line about it.
      expect(problems.splice(0)).toEqual([expect.stringMatching(/^HTTP 403: POST .*\/silences$/), expect.stringMatching(/^console error: .*status of 403.*\/silences\)$/)]);

      await fill(WRITE_TOKEN);
      expect((await submit(form.locator('button[type=submit]'), /\?added=/)).status()).toBe(303);
      const id = new URL(page.url()).searchParams.get('added') ?? '';
      expect(id).toMatch(/^s-[0-9a-f]{8}$/);
      expect(await page.locator('p[role=status].notice').innerText()).toContain(`Silence ${id} added`);
      const listed = page.locator(`#silences tr[data-silence="${id}"]`);
      expect(await listed.innerText()).toContain('source database migration, ask Ada');
      // At the latest after the next live refresh: the worker's status snapshot may be up to 2 s older than the silence.
      await expect.poll(() => page.locator('tr[data-flow="101"]').getAttribute('data-state'), { timeout: 15_000 }).toBe('silenced');

      // Read-only where UI_WRITE_TOKEN is not set: the silence is listed, nothing offers to change it.
      const other = await open(readOnly);
      expect(await other.page.locator(`#silences tr[data-silence="${id}"]`).count()).toBe(1);
      expect(await other.page.locator('form#add-silence').count()).toBe(0);
      expect(await other.page.locator('form[action$="/remove"]').count()).toBe(0);
      expect(await other.page.locator('#silences').innerText()).toMatch(/read-only/);
      expect(other.problems).toEqual([]);

      // Another site posting with the right token is refused: the token alone is not enough.
      const body = new URLSearchParams({ flow: '102', for: '1h', reason: 'from elsewhere', token: WRITE_TOKEN });
      const crossOrigin = await fetch(writable.url('/silences'), { method: 'POST', headers: { origin: 'http://evil.example' }, body, redirect: 'manual' });
      expect(crossOrigin.status).toBe(403);
      expect((await store.list(Date.now())).map((silence) => silence.id)).toEqual([id]);

      const removeForm = listed.locator('form[action$="/remove"]');
      await removeForm.locator('input[name=token]').fill(WRITE_TOKEN);
      expect((await submit(removeForm.locator('button[type=submit]'), /\?removed=/)).status()).toBe(303);
      expect(new URL(page.url()).searchParams.get('removed')).toBe(id);
      expect(await page.locator('p[role=status].notice').innerText()).toContain(`Silence ${id} removed`);
      expect(await page.locator(`#silences tr[data-silence="${id}"]`).count()).toBe(0);
      expect(await store.list(Date.now())).toEqual([]);
      await expect.poll(() => page.locator('tr[data-flow="101"]').getAttribute('data-state'), SOON).toBe('failing');
      expect(problems).toEqual([]);
    } finally {
      for (const silence of await store.list(Date.now())) await store.remove(silence.id);
    }
  });

  it('keeps refreshing itself after a refused silence, where the browser is left at /silences', TEST, async () => {
    const { page, problems } = await open(writable);
    const form = page.locator('form#add-silence');
    await form.locator('input[name=flow]').fill('101');
    await form.locator('input[name=for]').fill('2h');
    await form.locator('input[name=reason]').fill('deploy');
    await form.locator('input[name=token]').fill('not-the-token');
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/silences$/);
    expect(problems.splice(0)).toHaveLength(2); // the 403 and Chromium's console line about it, as in the test above

    const refresh = await page.waitForResponse((response) => response.request().resourceType() === 'fetch', { timeout: 15_000 });
    expect(refresh.status()).toBe(200);
    await page.waitForTimeout(300);
    expect(await page.locator('#offline').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });
});
