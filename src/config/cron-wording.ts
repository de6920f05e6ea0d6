import { CronExpressionParser } from 'cron-parser';

/*
 * What is wrong with a cron expression that detection's cronProblem (src/detection/expected-runs.ts) refused, in
 * words an operator can act on: which field, and why. Only wording: whether a cron is accepted is cronProblem's
 * verdict alone, so the config never accepts a schedule that detection would then quietly drop. cron-parser is
 * asked one field at a time, so nothing here re-implements cron.
 */

const FIVE_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const SIX_FIELDS = ['second', ...FIVE_FIELDS] as const;

/** Why `expression` is not a usable cron, naming the field at fault where one is. */
export function describeCronProblem(expression: string): string {
  const text = expression.trim();
  if (text.startsWith('@')) return `${text} is not a name cron-parser knows (such as @hourly, @daily, @weekly)`;
  // Only text with a space reaches here (detection-settings.ts sends anything else the three forms of a schedule).
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return `it has ${fields.length} fields, a cron has 5 (${FIVE_FIELDS.join(' ')}) or 6 (second first)`;
  const names = fields.length === 6 ? SIX_FIELDS : FIVE_FIELDS;
  for (const [index, field] of fields.entries()) {
    const name = names[index] ?? 'field';
    if (isHashed(field, name)) return `H in the ${name} field "${field}" picks a random time each time it is read; write the time itself`;
    const alone = names.map((_, other) => (other === index ? field : '*')).join(' ');
    const problem = parserProblem(alone);
    if (problem !== undefined) return `the ${name} field "${field}": ${problem}`;
  }
  return parserProblem(text) ?? 'cron-parser cannot compute its runs';
}

function parserProblem(expression: string): string | undefined {
  try {
    // Some expressions parse and only fail when a run is computed.
    CronExpressionParser.parse(expression, { tz: 'UTC' }).next();
    return undefined;
  } catch (error) {
    return reword(error instanceof Error ? error.message : String(error));
  }
}

/** cron-parser's messages, where its own words would puzzle an operator. */
function reword(message: string): string {
  const value = /got value:? (\S+?),? expected range (\S+)$/.exec(message) ?? /got range (\S+) expected range (\S+)$/.exec(message);
  if (value !== null) return `${value[1] ?? ''} is outside ${value[2] ?? ''}`;
  const alias = /cannot resolve alias "(\w+)"/.exec(message);
  if (alias !== null) return `"${alias[1] ?? ''}" is not the name of a month or a day`;
  if (message.startsWith('Invalid characters')) return 'it holds characters a cron field does not use (digits, * , - / and names such as MON or JAN)';
  const backwards = /^Invalid range: (\S+), min\(/.exec(message);
  if (backwards !== null) return `the range ${backwards[1] ?? ''} runs backwards (write the smaller number first)`;
  if (/cannot repeat at every 0 time/.test(message)) return 'a step of 0 never moves on (use /1 or more)';
  if (message === 'Invalid explicit day of month definition') return 'that day of the month never comes in the months given';
  return message;
}

/** Jenkins' H: hashed values, whose times cannot be known. Months and days may be names (THU, MAR), not an H. */
function isHashed(field: string, name: string): boolean {
  const withoutNames = name === 'month' || name === 'day-of-week' ? field.replace(/[a-z]{3}/gi, '') : field;
  return withoutNames.includes('H');
}
