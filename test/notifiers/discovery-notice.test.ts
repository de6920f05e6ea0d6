import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { renderEmail } from '../../src/notifiers/email/render-email.ts';
import { renderPagerDutyEvents } from '../../src/notifiers/pagerduty/render-pagerduty-event.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderSlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import { renderTeamsCard } from '../../src/notifiers/teams/render-teams-card.ts';
import { renderWebhookBody } from '../../src/notifiers/webhook/render-webhook-body.ts';
import { cardProblem } from './teams-receiver.ts';
import { webhookSchemaErrors } from './webhook-schema.ts';

/** The notice `discoverNotify` gets, in every medium: discovery's own words, about no flow, paging no one. */

const notice: Alert = {
  key: 'discovery-1796140800000-2-1',
  kind: 'discovery',
  flow: { id: 0, name: 'portable-watch discovery' },
  discovery: {
    added: 2,
    removed: 1,
    messages: ['now watching 2 new flows: Shopify orders (12), Shopify refunds (13)', 'stopped watching 1 flow: Old sync (7) (gone from Portable or no longer included)'],
  },
  detectedAt: Date.UTC(2026, 11, 1, 10, 0, 0),
};
const HEADLINE = 'DISCOVERY: now watching 2 new flows, stopped watching 1 flow';

describe('a discovery notice', () => {
  it('reads the same in plain text, Slack, email and Teams: the headline, then each message as discovery wrote it', () => {
    const plain = renderPlainText(notice);
    expect(plain.split('\n')[0]).toBe(HEADLINE);
    const slack = JSON.stringify(renderSlackMessage(notice));
    const email = renderEmail(notice);
    const teams = renderTeamsCard(notice);
    expect(cardProblem('application/json', JSON.stringify(teams))).toBeUndefined();
    for (const text of [plain, slack, email.text, JSON.stringify(teams)]) {
      expect(text).toContain('Shopify orders (12)');
      expect(text).toContain('stopped watching 1 flow: Old sync (7)');
      // About no flow: no flow id 0 anywhere.
      expect(text).not.toMatch(/\(flow 0\)|\(0\)/);
    }
    expect(email.subject).toContain(HEADLINE);
  });

  it('is a webhook body of kind discovery about the installation, and pages no one in PagerDuty', () => {
    const body = renderWebhookBody(notice);
    expect(webhookSchemaErrors(body)).toEqual([]);
    expect(body).toMatchObject({ kind: 'discovery', scope: 'installation', flow: null, severity: 'info', title: HEADLINE });
    expect(renderPagerDutyEvents(notice, 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6')).toEqual([]);
  });
});
