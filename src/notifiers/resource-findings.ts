import type { Alert, PartialResource, VolumeDrop } from '../alerts/alert.ts';
import type { AlertFact } from './alert-facts.ts';
import { formatCount, formatRatio, formatShare } from './format-text.ts';

/**
 * The resources a partial load or a volume drop is about, as plain unescaped text: one line each, and for a
 * partial load the resource's own errors, which every medium shows verbatim like an attempt's errors. They take
 * the place of the attempt's row counts: the resources that loaded well are one click away in Portable.
 */
export interface ResourceFinding {
  /** `orders: 1,200 extracted · 900 loaded (25% missing)`; starts with Portable's name for the resource. */
  line: string;
  errors: string[];
}

export interface ResourceFindings {
  /** `Resources not fully loaded (2 of 14)` */
  title: string;
  items: ResourceFinding[];
}

export function resourceFindings(alert: Alert): ResourceFindings | undefined {
  if (alert.kind === 'partial' && alert.partial !== undefined && alert.partial.resources.length > 0) {
    const items = alert.partial.resources.map((resource) => ({ line: partialLine(resource), errors: resource.errors }));
    return { title: `Resources not fully loaded ${outOf(items.length, alert)}`, items };
  }
  if (alert.kind === 'volume' && alert.volume !== undefined && alert.volume.resources.length > 0) {
    const items = alert.volume.resources.map((drop) => ({ line: volumeLine(drop), errors: [] }));
    return { title: `Resources far below their usual volume ${outOf(items.length, alert)}`, items };
  }
  return undefined;
}

export function partialSentence(alert: Alert, subject: string): string {
  // The attempt's own errors alone make a partial load, without a resource to point at.
  if ((alert.partial?.resources.length ?? 0) === 0 && (alert.attempt?.errors.length ?? 0) > 0) {
    return `${subject} succeeded, but with errors: part of the data may be missing.`;
  }
  return `${subject} succeeded but loaded only part of the data.`;
}

export function volumeSentence(subject: string): string {
  return `${subject} loaded far fewer rows than usual.`;
}

/** `Tolerance`, only when set: at the default (0%) every missing row counts and there is nothing to say. */
export function partialFacts(alert: Alert): AlertFact[] {
  const tolerance = alert.partial?.toleranceRatio ?? 0;
  return tolerance > 0 ? [{ label: 'Tolerance', value: `${formatRatio(tolerance)} of rows extracted (partialTolerance)` }] : [];
}

/** `orders: 1,200 extracted · 900 loaded (25% missing)`; counts Portable did not report are named as unknown. */
function partialLine({ name, extracted, loaded }: PartialResource): string {
  if (extracted === null && loaded === null) return `${name}: no row counts`;
  if (extracted === null) return `${name}: ${formatCount(loaded ?? 0)} loaded`;
  if (loaded === null) return `${name}: ${formatCount(extracted)} extracted · loaded unknown`;
  const counts = `${name}: ${formatCount(extracted)} extracted · ${formatCount(loaded)} loaded`;
  return loaded < extracted ? `${counts} (${formatShare(extracted - loaded, extracted)} missing)` : counts;
}

/** `orders: 0 rows (usually 1,200–1,900, median 1,500, over 30 runs)` */
function volumeLine({ name, loaded, medianLoaded, usualLow, usualHigh, samples }: VolumeDrop): string {
  const usual = usualLow === usualHigh ? formatCount(usualLow) : `${formatCount(usualLow)}–${formatCount(usualHigh)}`;
  const rows = `${formatCount(loaded)} ${loaded === 1 ? 'row' : 'rows'}`;
  return `${name}: ${rows} (usually ${usual}, median ${formatCount(medianLoaded)}, over ${formatCount(samples)} runs)`;
}

/** `(2 of 14)` when the attempt lists its resources, else `(2)`. */
function outOf(count: number, alert: Alert): string {
  const total = alert.attempt?.resources.length ?? 0;
  return total >= count ? `(${count} of ${total})` : `(${count})`;
}
