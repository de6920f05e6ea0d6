import { describe, expect, it } from 'vitest';
import { DELIVERY_ATTEMPTS, deliveryBackoff } from '../../src/delivery/notification-queue.ts';

describe('deliveryBackoff', () => {
  it('starts near 10 s, doubles, and never waits more than 30 minutes', () => {
    const ceilings = [1, 2, 3, 9, 20].map((attempt) => deliveryBackoff(attempt, () => 1));
    expect(ceilings).toEqual([10_000, 20_000, 40_000, 1_800_000, 1_800_000]);
    expect(deliveryBackoff(1, () => 0)).toBe(5_000);
  });

  it('keeps retrying for hours, not minutes, before a transient failure gives up', () => {
    let shortest = 0;
    for (let attempt = 1; attempt < DELIVERY_ATTEMPTS; attempt += 1) shortest += deliveryBackoff(attempt, () => 0);
    expect(shortest / 3_600_000).toBeGreaterThan(5);
  });
});
