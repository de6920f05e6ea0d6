import { readFileSync } from 'node:fs';
// ajv/dist/2020.js is CommonJS; its `exports.Ajv2020 = …` is a named export Node and vitest both find, and the
// typings declare it, so no `.default` dance is needed (the default import is typed as the module, not the class).
import { Ajv2020 } from 'ajv/dist/2020.js';

/** schemas/webhook-v1.json, the published description of the webhook body, read as receivers would read it. */
export const WEBHOOK_SCHEMA_URL = new URL('../../schemas/webhook-v1.json', import.meta.url);
export const WEBHOOK_EXAMPLE_URL = new URL('../../schemas/webhook-v1.example.json', import.meta.url);

export function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(url, 'utf8')) as unknown;
}

// strict: a keyword ajv does not know or a mistyped schema fails compilation instead of being ignored.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
// ajv checks no format by itself (and refuses unknown ones in strict mode): these are as tight as what we send.
ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && !Number.isNaN(Date.parse(value)));
ajv.addFormat('uri', (value: string) => URL.canParse(value));
const validate = ajv.compile(readJson(WEBHOOK_SCHEMA_URL) as object);

/** Every way `body` breaks the schema, as `/path: message` lines; empty when it is valid. */
export function webhookSchemaErrors(body: unknown): string[] {
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? 'invalid'}`);
}
