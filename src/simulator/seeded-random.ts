/**
 * Reproducible noise for simulated runs. Each run draws from its own generator, seeded from the script's seed and
 * the run's index, so a run's duration and row counts do not depend on which runs were generated before it: the
 * first ten of `healthyRuns(1000, seed)` are `healthyRuns(10, seed)`.
 */

export type Random = () => number;

/** Mulberry32: small, fast, and good enough for noise (not for anything secret). Values in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The generator of one run: seed and index mixed so that neighbouring runs are unrelated. */
export function runRandom(seed: number, index: number): Random {
  const mixed = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(index + 1, 0x9e3779b1);
  return seededRandom(mixed ^ (mixed >>> 16));
}

/** A standard normal draw (Box–Muller), limited to ±2.5 so that healthy noise never looks like an incident. */
export function boundedNormal(random: Random): number {
  const radius = Math.sqrt(-2 * Math.log(1 - random()));
  const draw = radius * Math.cos(2 * Math.PI * random());
  return Math.max(-2.5, Math.min(2.5, draw));
}

/**
 * A multiplicative spread around 1: lognormal with this sigma (0.25 is about ±25%), truncated at 2.5 sigma, so
 * with 0.25 every factor lies between 0.54 and 1.87 — never the 20% of usual that a volume drop is.
 */
export function noiseFactor(random: Random, sigma: number): number {
  return Math.exp(sigma * boundedNormal(random));
}
