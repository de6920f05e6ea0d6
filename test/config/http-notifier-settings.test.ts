import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/*
 * The keys of the pagerduty, teams and webhook notifiers: what each accepts, and for what it refuses, a message that
 * names the path and the fix without quoting the secret.
 */

const ROUTING_KEY = 'R0ut1ngK3ySecret0123456789abcdef';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function parse(notifier: string, env: Record<string, string> = {}) {
  return parseConfig(
    ['portable: { token: t }', `notifiers: { oncall: ${notifier} }`, 'defaults: { notify: [oncall] }', 'flows: [{ id: 1 }]'].join('\n'),
    env,
    'flows.yaml',
  );
}

function problems(notifier: string, env: Record<string, string> = {}): string[] {
  const result = parse(notifier, env);
  return result.ok ? [] : result.problems;
}

describe('accepted', () => {
  it.each([
    ['pagerduty with a routing key from the environment', '{ type: pagerduty, routingKey: "${PD_KEY}" }', { type: 'pagerduty', routingKey: ROUTING_KEY }],
    [
      'pagerduty in the EU region',
      '{ type: pagerduty, routingKey: "${PD_KEY}", url: "https://events.eu.pagerduty.com/v2/enqueue" }',
      { type: 'pagerduty', url: 'https://events.eu.pagerduty.com/v2/enqueue' },
    ],
    ['teams', '{ type: teams, webhookUrl: "${TEAMS_URL}" }', { type: 'teams', webhookUrl: 'https://example.webhook.office.com/workflows/abc?sig=s3cr3t' }],
    ['a webhook with only a URL', '{ type: webhook, url: "https://hooks.example.com/alerts" }', { type: 'webhook', url: 'https://hooks.example.com/alerts' }],
    [
      'a signed webhook with headers and a timeout',
      '{ type: webhook, url: "https://hooks.example.com/alerts", secret: "${SECRET}", headers: { Authorization: "Bearer ${TOKEN}", X-Team: data }, timeout: 5s }',
      { type: 'webhook', secret: SECRET, headers: { Authorization: 'Bearer tok3n', 'X-Team': 'data' }, timeout: 5_000 },
    ],
    ['a webhook secret without the whsec_ prefix', '{ type: webhook, url: "https://h.example.com", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }', { secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
  ])('%s', (_name, notifier, expected) => {
    const env = { PD_KEY: ROUTING_KEY, TEAMS_URL: 'https://example.webhook.office.com/workflows/abc?sig=s3cr3t', SECRET, TOKEN: 'tok3n' };
    const result = parse(notifier, env);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, config: { notifiers: { oncall: { burst: 5, groupInterval: 60_000, ...expected } } } });
  });
});

describe('refused, with the path and the fix, never the secret', () => {
  it.each([
    ['a pagerduty notifier without a routing key', '{ type: pagerduty }', 'notifiers.oncall.routingKey: is required (add routingKey: ${PAGERDUTY_ROUTING_KEY}, the integration key of an Events API V2 integration)'],
    ['a routing key with a space', `{ type: pagerduty, routingKey: "${ROUTING_KEY} x" }`, 'notifiers.oncall.routingKey: holds spaces or line breaks (paste the integration key again, without them)'],
    ['an empty routing key', '{ type: pagerduty, routingKey: "" }', 'notifiers.oncall.routingKey: is empty (paste the integration key, or read it from an environment variable: ${VAR})'],
    ['a pagerduty url that is no URL', `{ type: pagerduty, routingKey: ${ROUTING_KEY}, url: events.eu.pagerduty.com }`, 'notifiers.oncall.url: is not an http(s) URL (e.g. https://events.eu.pagerduty.com/v2/enqueue)'],
    ['teams without a webhook URL', '{ type: teams }', expect.stringMatching(/^notifiers\.oncall\.webhookUrl: is required \(add webhookUrl: "\$\{TEAMS_WEBHOOK_URL\}"/)],
    ['teams with a URL that is no URL', '{ type: teams, webhookUrl: "prod-123.westus.logic.azure.com/sig=s3cr3t" }', "notifiers.oncall.webhookUrl: is not an http(s) URL (copy the workflow's HTTP POST URL again)"],
    ['a webhook without a URL', '{ type: webhook }', 'notifiers.oncall.url: is required (add url: "${ALERT_WEBHOOK_URL}")'],
    ['a webhook URL that is no URL', '{ type: webhook, url: "ftp://files.example.com/s3cr3t" }', 'notifiers.oncall.url: is not an http(s) URL'],
    [
      'a secret that is not base64',
      '{ type: webhook, url: "https://h.example.com", secret: "whsec_not base64!s3cr3t" }',
      'notifiers.oncall.secret: is not a Standard Webhooks secret (write whsec_ followed by at least 16 random bytes in base64, e.g. from: echo "whsec_$(openssl rand -base64 32)")',
    ],
    ['a secret too short', '{ type: webhook, url: "https://h.example.com", secret: "whsec_czNjcjN0" }', expect.stringMatching(/^notifiers\.oncall\.secret: is not a Standard Webhooks secret/)],
    ['a header name with a space', '{ type: webhook, url: "https://h.example.com", headers: { "X Api": s3cr3t } }', 'notifiers.oncall.headers["X Api"]: is not a valid HTTP header name (letters, digits and - only, e.g. X-Api-Key)'],
    ['a signature header set by hand', '{ type: webhook, url: "https://h.example.com", headers: { Webhook-Signature: s3cr3t } }', 'notifiers.oncall.headers.Webhook-Signature: is set by portable-watch itself (remove it)'],
    ['a content type set by hand', '{ type: webhook, url: "https://h.example.com", headers: { content-type: text/plain } }', 'notifiers.oncall.headers.content-type: is set by portable-watch itself (remove it)'],
    ['a header value that is a number', '{ type: webhook, url: "https://h.example.com", headers: { X-Id: 5 } }', 'notifiers.oncall.headers.X-Id: is not text (quote the value)'],
    ['a timeout too long', '{ type: webhook, url: "https://h.example.com", timeout: 5m }', 'notifiers.oncall.timeout: must be from 1s to 60s, got "5m"'],
    ['a key of a Slack notifier on a webhook', '{ type: webhook, url: "https://h.example.com", webhookUrl: "https://h.example.com/s3cr3t" }', 'notifiers.oncall.webhookUrl: is a key of slack and teams notifiers, not of type webhook (remove it, or change the type)'],
    ['a key of another type', '{ type: teams, webhookUrl: "https://h.example.com", routingKey: s3cr3t }', 'notifiers.oncall.routingKey: is a key of pagerduty notifiers, not of type teams (remove it, or change the type)'],
  ])('%s', (_name, notifier, expected) => {
    const found = problems(notifier);
    expect(found).toEqual([expected]);
    expect(found.join('\n')).not.toContain('s3cr3t');
  });

  it('names the new types among the known ones', () => {
    expect(problems('{ type: opsgenie }')).toEqual(['notifiers.oncall.type: unknown notifier type "opsgenie" (known types: slack, email, console, pagerduty, teams, webhook)']);
  });

  it('a header value from an unset variable is reported without its neighbours being quoted', () => {
    const found = problems('{ type: webhook, url: "https://h.example.com/s3cr3t", headers: { Authorization: "Bearer ${UNSET_TOKEN}" } }');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^notifiers\.oncall\.headers\.Authorization: .*UNSET_TOKEN/);
    expect(found[0]).not.toContain('s3cr3t');
  });
});
