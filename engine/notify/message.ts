/**
 * What one webhook message says, independent of the receiver: the alert plus how it must be marked. Paper
 * alerts and `regime webhooks test` samples are marked in the title so nobody mistakes them for live signals.
 */
import type { Alert, AlertValue } from '../pipeline/alerts.ts';
import { HOUR_MS } from '../pipeline/input.ts';

export interface OutgoingMessage {
  alert: Alert;
  paper: boolean;
  test: boolean;
  /** the alert came from hours the live loop had already passed (a backfilled hour) */
  late: boolean;
}

export function markedTitle(m: OutgoingMessage): string {
  const marks = [m.test ? '[TEST]' : null, m.paper ? '[PAPER]' : null, m.late ? '[LATE]' : null].filter(Boolean);
  return marks.length ? `${marks.join(' ')} ${m.alert.title}` : m.alert.title;
}

/** when the alert was known: the close of its hour (ts is the hour's open, input.ts) */
export function alertTimestamp(a: Alert): string {
  return new Date(a.ts + HOUR_MS).toISOString();
}

export function formatValue(v: AlertValue): string {
  if (v === null) return 'n/a';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'n/a';
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
  }
  return String(v);
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** the user-perceived characters of s (an emoji with a skin tone or a ZWJ family is one) */
export function graphemesOf(s: string): string[] {
  return Array.from(graphemes.segment(s), (g) => g.segment);
}

/**
 * The longest prefix of whole graphemes within `max` UTF-16 units: never half a surrogate pair (which
 * Telegram rejects as "Text must be encoded in UTF-8") nor half an emoji sequence.
 */
export function cutGraphemes(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  for (const g of graphemesOf(s)) {
    if (out.length + g.length > max) break;
    out += g;
  }
  return out;
}

/** cuts to at most `max` UTF-16 units with an ellipsis, on a grapheme boundary */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  return `${cutGraphemes(s, max - 1)}…`;
}
