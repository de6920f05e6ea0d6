import * as z from 'zod';
import { closedObject } from './closed-object.ts';
import { SECOND } from './duration.ts';
import { flowSettingFields, INSTALLATION_WIDE, TOP_LEVEL_ONLY } from './flow-settings.ts';
import { duration, flowIdSchema, text } from './setting-values.ts';

/*
 * `discover:`: watch flows nobody listed. Each rule includes flows of an account by their Portable displayName (globs,
 * `*` any text, case-insensitive, as silences' `--name`) or by id, excludes some of those, and gives them any flow
 * setting. A flow takes the settings of the first rule that includes it; one listed under `flows:` is never discovered.
 */

/** One glob or a list of them; a glob is non-empty text. */
const globs = z.union([text, z.array(text).min(1, 'is empty (list at least one glob, or remove the key)')], {
  error: 'is not a glob nor a list of globs (write include: "Shopify*" or include: ["Shopify*", "Stripe*"])',
}).transform((value) => (typeof value === 'string' ? [value] : value));

export const discoverRuleSchema = closedObject(
  {
    /** Globs on the flow's displayName: `*` matches any text, case-insensitive. `"*"` is every flow of the account. */
    include: globs.optional(),
    /** Globs on the displayName of flows the rule leaves to the next rule. Default: none. */
    exclude: globs.optional(),
    /** Flow ids the rule includes whatever their name. Default: none. */
    ids: z.array(flowIdSchema).optional(),
    /** The account whose flows the rule looks at. Required when there are several accounts; default the only one. */
    account: text.optional(),
    ...flowSettingFields,
  },
  undefined,
  { scheduleRefresh: INSTALLATION_WIDE, ...TOP_LEVEL_ONLY, name: 'names come from Portable for discovered flows (list the flow under flows: to give it a name)' },
).check(
  z.superRefine((rule, context) => {
    if (rule.include !== undefined || rule.ids !== undefined) return;
    context.addIssue({ code: 'custom', path: ['include'], message: 'is required, or ids: (which flows does the rule watch? include: "*" watches every flow)', input: rule });
  }),
);

export const discoverRulesSchema = z.array(discoverRuleSchema);

export type DiscoverRuleFile = z.output<typeof discoverRuleSchema>;

/** At least 10 s: each refresh is one `GET /v2/flows` per account. */
export const discoverEverySchema = duration((milliseconds) => (milliseconds < 10 * SECOND ? 'must be at least 10s, got {value}' : undefined));
