import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/** Rules about notifiers that keep alerts from going nowhere: usable names, real mentions, someone to tell. */

const NOBODY = 'its alerts would reach nobody; add notify: [...] here or under defaults';

function withSlackMention(mention: string) {
  return parseConfig(
    [
      'portable: { token: t }',
      `notifiers: { oncall: { type: slack, webhookUrl: "https://hooks.slack.test/x", mention: ${JSON.stringify(mention)} } }`,
      'defaults: { notify: [oncall] }',
      'flows: [{ id: 1 }]',
    ].join('\n'),
    {},
    'flows.yaml',
  );
}

describe('a Slack mention', () => {
  it.each([
    '<!here>',
    '<!channel>',
    '<!everyone>',
    '<@U024BE7LH>',
    '<@W012AB3CD>',
    '<!subteam^SAZ94GDB8>',
    '<!subteam^SAZ94GDB8|@data-team>',
    '<@U024BE7LH|Jane Doe>',
    '<!here|here>',
    '<!here> <@U024BE7LH>  <!subteam^SAZ94GDB8>',
  ])('accepts %j', (mention) => {
    expect(withSlackMention(mention)).toMatchObject({ ok: true, config: { notifiers: { oncall: { mention } } } });
  });

  it.each([
    '@here',
    'here',
    '<!here',
    '<!here>,<!channel>',
    '<!here> and the team',
    '<#C024BE7LH>',
    '<@u024be7lh>',
    '<!subteam^T0123>',
    '<https://example.com|click>',
    '<!date^1392734382^{date}|Feb 18>',
    '<@U024BE7LH|>',
    '<!here|a|b>',
  ])('refuses %j, showing the forms Slack accepts', (mention) => {
    expect(withSlackMention(mention)).toEqual({
      ok: false,
      problems: [
        `notifiers.oncall.mention: ${JSON.stringify(mention)} is not a Slack mention (write <!here>, <!channel>, <!everyone>, ` +
          'a user as <@U012AB3CD>, a user group as <!subteam^S012AB3CD>, each optionally with a |label before the >; several separated by spaces)',
      ],
    });
  });
});

describe('a notifier name', () => {
  const withName = (name: string) =>
    parseConfig(`portable: { token: t }\nnotifiers: { ${JSON.stringify(name)}: { type: console } }\nflows: [{ id: 1, notify: [${JSON.stringify(name)}] }]`, {}, 'f.yaml');

  it.each(['oncall', 'data-team', 'team_2', '2nd-line', 'ABC'])('%j is accepted', (name) => {
    expect(withName(name)).toMatchObject({ ok: true, config: { flows: [{ notify: [name] }] } });
  });

  it.each([
    ['team:oncall', 'notifiers["team:oncall"]', 'team-oncall'],
    ['data team', 'notifiers["data team"]', 'data-team'],
    ['team.oncall', 'notifiers["team.oncall"]', 'team-oncall'],
    ['équipe/nuit', 'notifiers["équipe/nuit"]', 'equipe-nuit'],
    [':::', 'notifiers[":::"]', 'oncall'],
    ['team :: oncall', 'notifiers["team :: oncall"]', 'team-oncall'],
    ['- oncall -', 'notifiers["- oncall -"]', 'oncall'],
  ])('%j is refused once, where it is defined, with a name that would do', (name, path, fixed) => {
    expect(withName(name)).toEqual({
      ok: false,
      problems: [
        `${path}: a notifier name may hold only letters (a-z, A-Z), digits, - and _ (rename it, e.g. to "${fixed}", and in every notify list that names it)`,
      ],
    });
  });
});

describe('a flow whose alerts would reach nobody', () => {
  const config = (...lines: string[]) => parseConfig(['portable: { token: t }', ...lines].join('\n'), {}, 'flows.yaml');

  it('is fine when defaults: gives it the notifiers it does not name itself', () => {
    const result = config('notifiers: { a: { type: console }, b: { type: console } }', 'defaults: { notify: [a] }', 'flows: [{ id: 1 }, { id: 2, notify: [b] }]');
    expect(result).toMatchObject({ ok: true, config: { flows: [{ notify: ['a'] }, { notify: ['b'] }] } });
  });

  it('is refused when its own empty list overrides defaults:, naming the notifiers there are', () => {
    const result = config('notifiers: { a: { type: console }, b: { type: console } }', 'defaults: { notify: [a] }', 'flows: [{ id: 1 }, { id: 2, notify: [] }]');
    expect(result).toEqual({ ok: false, problems: [`flows[1]: ${NOBODY} (defined: a, b)`] });
  });

  it('is refused, one problem per flow, when there is no notify anywhere and no notifier at all', () => {
    const result = config('flows: [{ id: 1 }, { id: 2 }]');
    const help = '(none are defined yet: add one under notifiers:)';
    expect(result).toEqual({ ok: false, problems: [`flows[0]: ${NOBODY} ${help}`, `flows[1]: ${NOBODY} ${help}`] });
  });

  it('is refused as having no notifier at all when notifiers: is not a mapping', () => {
    const result = config('notifiers: oncall', 'flows: [{ id: 1 }]');
    expect(result).toEqual({
      ok: false,
      problems: ['notifiers: expected a mapping, got text', `flows[0]: ${NOBODY} (none are defined yet: add one under notifiers:)`],
    });
  });

  it('is not reported again when the notify list itself is malformed: the schema says what is wrong', () => {
    const result = config('notifiers: { a: { type: console } }', 'defaults: { notify: a }', 'flows: [{ id: 1 }, { id: 2, notify: b }]');
    expect(result).toEqual({
      ok: false,
      problems: ['defaults.notify: expected a list, got text (write it as [a, b])', 'flows[1].notify: expected a list, got text (write it as [a, b])'],
    });
  });
});

describe('a notify list', () => {
  const config = (...lines: string[]) => parseConfig(['portable: { token: t }', ...lines].join('\n'), {}, 'flows.yaml');

  it('names the notifier under defaults: that does not exist', () => {
    const result = config('notifiers: { a: { type: console } }', 'defaults: { notify: [pager] }', 'flows: [{ id: 1, notify: [a] }]');
    expect(result).toEqual({ ok: false, problems: ['defaults.notify[0]: no notifier named "pager" (defined: a)'] });
  });

  it('says where to add a notifier when none is defined at all', () => {
    const result = config('flows: [{ id: 1, notify: [oncall] }]');
    expect(result).toEqual({ ok: false, problems: ['flows[0].notify[0]: no notifier named "oncall" (none are defined; add it under notifiers:)'] });
  });

  it('finds a name written with spaces around it', () => {
    const result = config('notifiers: { a: { type: console } }', 'flows: [{ id: 1, notify: [" a "] }]');
    expect(result).toMatchObject({ ok: true, config: { flows: [{ notify: ['a'] }] } });
  });

  it('reports a name that is empty, blank or not text once, as the schema words it, not as an unknown notifier', () => {
    const result = config('notifiers: { a: { type: console } }', 'flows:', '  - { id: 1, notify: ["", a] }', '  - { id: 2, notify: ["  ", a] }', '  - { id: 3, notify: [5, a] }');
    expect(result).toEqual({
      ok: false,
      problems: [
        'flows[0].notify[0]: is empty (give it a value, or remove it)',
        'flows[1].notify[0]: is empty (give it a value, or remove it)',
        'flows[2].notify[0]: expected text, got a number (put it in quotes)',
      ],
    });
  });

  it('is not checked against a notifiers: section that is not a mapping: that section is the problem', () => {
    const result = config('notifiers: oncall', 'defaults: { notify: [oncall] }', 'flows: [{ id: 1 }]');
    expect(result).toEqual({ ok: false, problems: ['notifiers: expected a mapping, got text'] });
  });
});

describe('email notifiers without an email: section', () => {
  it('are named together in one problem', () => {
    const result = parseConfig(
      [
        'portable: { token: t }',
        'notifiers: { a: { type: email, to: [a@example.com] }, b: { type: email, to: [b@example.com] } }',
        'flows: [{ id: 1, notify: [a, b] }]',
      ].join('\n'),
      {},
      'flows.yaml',
    );
    expect(result).toEqual({ ok: false, problems: ['email: is required by the email notifiers "a", "b" (add email: with smtpUrl and from)'] });
  });
});
