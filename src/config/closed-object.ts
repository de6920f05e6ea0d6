import * as z from 'zod';

/**
 * A zod object that refuses keys it does not know, one problem per key, with the nearest known key
 * suggested: `maxRunTime: unknown key (did you mean "maxRuntime"?)`. A typo in a config key must never
 * be silently ignored, or the flow quietly runs on the default the operator meant to change.
 *
 * zod's own strict mode reports all unknown keys of an object as one issue and cannot suggest, so the
 * object is parsed loosely and a check (which runs even when other keys failed, so every problem is
 * reported at once) adds one issue per unknown key.
 *
 * `misplaced` names keys that are valid elsewhere in the file, each with the message that says where they belong:
 * an operator who put a key in the wrong section deserves to be told where it goes, not that it does not exist.
 */
export function closedObject<Shape extends z.ZodRawShape>(
  shape: Shape,
  params?: Parameters<typeof z.looseObject>[1],
  misplaced: Readonly<Record<string, string>> = {},
): z.ZodObject<Shape, z.core.$strip> {
  const known = Object.keys(shape);
  const schema = z.looseObject(shape, params).check(
    z.superRefine(
      (value, context) => {
        for (const key of Object.keys(value)) {
          if (known.includes(key)) continue;
          const message = Object.hasOwn(misplaced, key) ? misplaced[key] : undefined;
          context.addIssue({ code: 'custom', path: [key], message: message ?? unknownKeyMessage(key, known) });
        }
      },
      { when: (payload) => isRecord(payload.value) },
    ),
  );
  // Typed as a stripping object because unknown keys always fail the parse: no output carries one.
  return schema;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const nearest = nearestKey(key, known);
  if (nearest !== undefined) return `unknown key (did you mean "${nearest}"?)`;
  return `unknown key (known keys here: ${known.join(', ')})`;
}

/** The known key a typo most likely meant, if any is close enough to be worth suggesting. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  // A third of the length (at least one edit): `notfy` finds `notify`, `colour` does not find `to`.
  const tolerance = Math.max(1, Math.floor(key.length / 3));
  return best !== undefined && best.distance <= tolerance ? best.key : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(from: string, to: string): number {
  let previous = Array.from({ length: to.length + 1 }, (_, index) => index);
  for (let row = 1; row <= from.length; row += 1) {
    const current = [row];
    for (let column = 1; column <= to.length; column += 1) {
      const substitution = (previous[column - 1] ?? 0) + (from[row - 1] === to[column - 1] ? 0 : 1);
      current[column] = Math.min((previous[column] ?? 0) + 1, (current[column - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[to.length] ?? 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
