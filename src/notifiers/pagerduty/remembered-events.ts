/** Which events PagerDuty already accepted, by an id the caller makes (alert key and action). */
export interface RememberedEvents {
  has(id: string): boolean;
  add(id: string): void;
}

/**
 * Remembers the last `limit` ids and forgets the oldest beyond (a Set iterates in insertion order), so a worker that
 * runs for months holds a bounded few hundred KB. Kept in memory only: after a restart a retried digest resends what
 * was accepted before, which PagerDuty takes as the same events again (one dedup_key, one incident).
 */
export function rememberedEvents(limit: number): RememberedEvents {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add: (id) => {
      ids.delete(id);
      ids.add(id);
      for (const oldest of ids) {
        if (ids.size <= limit) break;
        ids.delete(oldest);
      }
    },
  };
}
