import * as z from 'zod';
import { closedObject } from './closed-object.ts';
import { httpUrl, missing } from './setting-values.ts';

/*
 * Where flows live: `portable:` (one account, named `default`) and `accounts:` (named accounts, for agencies and for a
 * production and a staging workspace). check-accounts.ts relates them to the flows and discovery rules that name them.
 */

export const DEFAULT_API_URL = 'https://api.portable.io';

/** The keys of one account; `portable:` has these and the installation-wide settings besides. */
export const accountFields = {
  /** Portable API token. Required; a secret, so write `${PORTABLE_API_TOKEN}`. */
  token: z.string({ error: missing('add token: ${PORTABLE_API_TOKEN}') }).min(1, 'is empty (set it to your Portable API token)'),
  /** Portable API base URL. Default https://api.portable.io; tests point it at the simulator. */
  apiUrl: httpUrl('{value} is not an http(s) URL')
    .prefault(DEFAULT_API_URL)
    .transform((url) => url.replace(/\/+$/, '')),
  /** Link shown in alerts, `{id}` replaced by the flow id. Default: no link. */
  flowUrl: httpUrl('{value} is not an http(s) URL')
    .refine((template) => template.includes('{id}'), 'must contain {id} where the flow id goes')
    .optional(),
};

const accountSchema = closedObject(accountFields, { error: missing('give the account a token: { token: ${PORTABLE_PROD_TOKEN} }') });

export type AccountConfig = z.output<typeof accountSchema>;

/**
 * An account's name becomes part of Redis keys, job ids and alert keys (`prod~42`) and a metrics label: letters,
 * digits, `-` and `_`, as notifier names.
 */
export const ACCOUNT_NAME = /^[A-Za-z0-9_-]+$/;

/** `accounts:`, by name. */
export const accountsSchema = z.record(z.string(), accountSchema).check(
  z.superRefine(
    (accounts, context) => {
    for (const name of Object.keys(accounts)) {
      if (ACCOUNT_NAME.test(name)) continue;
      const message = 'an account name may hold only letters (a-z, A-Z), digits, - and _ (rename it, and every account: that names it)';
      context.addIssue({ code: 'custom', path: [name], message, input: name });
    }
  },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  ),
);
