import { describe, expect, it } from 'vitest';
import type { FlowPageModel } from '../../src/web/flow-page-model.ts';
import { renderFlowPage } from '../../src/web/render-flow-page.ts';
import { ATTRIBUTE, attributeNames, H, healthy, M, NOW, SCRIPT } from './page-fixtures.ts';

/** A flow's page from a hand-built model: the whole error, every delivery state, tables without script, chart data. */


const HEALTH = healthy({ schedules: { present: 1, expected: 1 }, reload: { result: 'applied', at: NOW - H, problems: [] } });

const ERROR = ['Traceback (most recent call last):', '  File "load.py", line 12, in <module>', `psycopg2.errors.UndefinedTable: relation "orders" does not exist ${SCRIPT}`].join('\n');

function model(overrides: Partial<FlowPageModel> = {}): FlowPageModel {
  const attempts = [
    { attemptId: 901, outcome: 'succeeded' as const, createdAt: NOW - 3 * H, durationMs: 240_000 },
    { attemptId: 902, outcome: 'succeeded' as const, createdAt: NOW - 2 * H, durationMs: 250_000 },
    { attemptId: 903, outcome: 'failed' as const, createdAt: NOW - H, durationMs: null },
  ];
  return {
    now: NOW,
    health: HEALTH,
    row: {
      key: 'prod~42',
      id: 42,
      account: 'prod',
      name: `orders sync ${SCRIPT}`,
      href: '/flows/prod/42',
      labels: [['team', ATTRIBUTE]],
      state: 'failing',
      incident: 'failing',
      since: NOW - H,
      problem: 'Traceback (most recent call last):',
      silencedBy: null,
      lastRun: { attemptId: 903, outcome: 'failed', createdAt: NOW - H, durationMs: null },
      lastCheck: { at: NOW - M, outcome: 'alerted' },
      nextCheck: NOW + M,
      recent: attempts,
    },
    settings: [
      { name: 'pollEvery', value: '1m' },
      { name: 'maxRuntime', value: 'auto: 12m now' },
    ],
    routes: [
      { kind: 'failed', destinations: [{ notifier: 'oncall', severity: 'critical', because: `label team=${ATTRIBUTE}` }] },
      { kind: 'missed', destinations: [] },
    ],
    incidents: [{ kind: 'failing', title: 'failing', since: NOW - H, attemptId: 903, errors: [ERROR] }],
    attempts,
    durations: [240_000, 250_000, 260_000],
    runtimeLimit: { limitMs: 720_000, description: 'usually 4m–4m 20s, p95 4m 20s (learned from 3 successful runs)' },
    loaded: [
      { resource: `orders ${SCRIPT}`, values: [120, 80, 100] },
      { resource: 'customers', values: [5] },
    ],
    alerts: [
      {
        key: 'prod~42.failed.903',
        kind: 'failed',
        headline: `orders sync failed ${SCRIPT}`,
        sentence: 'Attempt 903 failed after 4 minutes.',
        detectedAt: NOW - 50 * M,
        attemptId: 903,
        errors: [ERROR],
        deliveries: [
          { notifier: 'oncall', state: 'delivered', at: NOW - 49 * M, detail: null },
          { notifier: 'data-team', state: 'retrying', at: NOW - 2 * M, detail: `2 of 5 tries: 503 ${ATTRIBUTE}` },
          { notifier: 'email', state: 'given-up', at: NOW - 10 * M, detail: '5 of 5 tries: 401 Unauthorized' },
          { notifier: 'ops', state: 'held', at: NOW - 40 * M, detail: 'held by silence s-1' },
          { notifier: 'digest', state: 'in-digest', at: null, detail: 'gathered into the next digest' },
          { notifier: 'pager', state: 'waiting', at: NOW - M, detail: null },
          { notifier: 'old', state: 'unknown', at: null, detail: null },
        ],
      },
    ],
    ...overrides,
  };
}

function chartData(page: string): unknown {
  const match = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(page);
  expect(match).not.toBeNull();
  return JSON.parse(match?.[1] ?? 'null');
}


describe('renderFlowPage', () => {
  it('shows every line of the error, escaped, in the incident and in the alert', () => {
    const page = renderFlowPage(model());
    const escaped = [
      'Traceback (most recent call last):',
      '  File &quot;load.py&quot;, line 12, in &lt;module&gt;',
      'psycopg2.errors.UndefinedTable: relation &quot;orders&quot; does not exist &lt;script&gt;alert(1)&lt;/script&gt;',
    ].join('\n');
    expect(page.split(`<pre class="error">${escaped}</pre>`)).toHaveLength(3);
    expect(page).toContain('<title>orders sync &lt;script&gt;alert(1)&lt;/script&gt; · portable-watch</title>');
    expect(page).toContain('<nav aria-label="Breadcrumb" class="crumbs"><a href="/">All flows</a>');
    expect(page).toContain('<div class="problem">Traceback (most recent call last):</div>');
  });

  it('escapes every string and puts no script code, style or handler in the markup', () => {
    const page = renderFlowPage(model());
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('style="');
    expect([...attributeNames(page)].filter((name) => name.startsWith('on') || name === 'style')).toEqual([]);
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map(([, attributes, body]) => ({ attributes, body }));
    expect(scripts.filter((script) => script.attributes?.includes('type="application/json"'))).toHaveLength(1);
    expect(scripts.filter((script) => !script.attributes?.includes('type="application/json"'))).toEqual([
      { attributes: ' src="/assets/status-page.js" defer', body: '' },
      { attributes: ' src="/assets/uplot.min.js" defer', body: '' },
      { attributes: ' src="/assets/flow-page.js" defer', body: '' },
    ]);
    expect(page).toContain('<link rel="stylesheet" href="/assets/uplot.min.css">');
  });

  it('shows each notifier with its delivery state, time and detail', () => {
    const page = renderFlowPage(model());
    expect(page).toMatch(/<li><span class="b d-delivered">delivered<\/span> oncall <time [^>]*>49m ago<\/time><\/li>/);
    expect(page).toContain('<span class="b d-retrying">retrying</span> data-team');
    expect(page).toContain('2 of 5 tries: 503 &quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('<span class="b d-given-up">given up</span> email');
    expect(page).toContain('<span class="b d-held">held</span> ops');
    expect(page).toContain('<li><span class="b d-in-digest">in digest</span> digest <span class="detail">gathered into the next digest</span></li>');
    expect(page).toContain('<span class="b d-waiting">waiting</span> pager');
    expect(page).toContain('<li><span class="b d-unknown">unknown</span> old</li>');
  });

  it('renders settings, routes, attempts (newest first) and rows loaded as tables, without script', () => {
    const page = renderFlowPage(model());
    expect(page).toContain('<dt>maxRuntime</dt><dd>auto: 12m now</dd>');
    expect(page).toContain('<tr><td>failed</td><td>oncall</td><td>critical</td><td>label team=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td></tr>');
    expect(page).toContain('<tr><td>missed</td><td colspan="3">nowhere: no route sends it</td></tr>');
    const attemptIds = [...page.matchAll(/<tr class="o-row-[a-z]+"><td>(\d+)<\/td>/g)].map((match) => match[1]);
    expect(attemptIds).toEqual(['903', '902', '901']);
    expect(page).toMatch(/<td>903<\/td><td>failed<\/td><td>2026-03-01 11:00 UTC \(<time [^>]*>1h ago<\/time>\)<\/td><td>no end given<\/td>/);
    expect(page).toContain('<tr><td>orders &lt;script&gt;alert(1)&lt;/script&gt;</td><td>100</td><td>80–120</td><td>3</td></tr>');
    expect(page).toContain('usually 4m–4m 20s, p95 4m 20s (learned from 3 successful runs)');
    expect(page).toContain('Learned from 3 successful runs: shortest 4m, median 4m 10s, longest 4m 20s.');
    expect(page).toContain('<div id="duration-chart" class="chart"></div>');
    expect(page).toContain('<div id="loaded-chart" class="chart"></div>');
    // Standing alone, the flow's strip names every attempt; still one tab stop.
    const strip = /<ol class="strip"[^>]*>([\s\S]*?)<\/ol>/.exec(page)?.[1] ?? '';
    expect(strip.match(/data-attempt="\d+"/g)).toEqual(['data-attempt="901"', 'data-attempt="902"', 'data-attempt="903"']);
    expect(strip.match(/tabindex="0"/g)).toHaveLength(1);
  });

  it('hands the charts their data as JSON that cannot close its element', () => {
    const page = renderFlowPage(model());
    expect(page).toContain('"resource":"orders \\u003cscript>alert(1)\\u003c/script>"');
    expect(chartData(page)).toEqual({
      durations: [
        [(NOW - 3 * H) / 1000, 240],
        [(NOW - 2 * H) / 1000, 250],
        [(NOW - H) / 1000, null],
      ],
      outcomes: ['succeeded', 'succeeded', 'failed'],
      limitSeconds: 720,
      loaded: [
        { resource: `orders ${SCRIPT}`, values: [120, 80, 100] },
        { resource: 'customers', values: [5] },
      ],
    });
  });

  it('says so when nothing is open, learned or sent', () => {
    const page = renderFlowPage(model({ incidents: [], alerts: [], loaded: [], durations: [], attempts: [], routes: [] }));
    expect(page).toMatch(/<h2 id="incidents-heading">Open incidents<\/h2><p>None\.<\/p>/);
    expect(page).toContain('No successful run to learn from yet.');
    expect(page).toContain('No alerts sent about this flow.');
    expect(page).toContain('No finished attempt seen yet.');
    expect(page).not.toContain('<pre');
  });
});
