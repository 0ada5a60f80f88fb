// Telegram texts cut to 4,096 characters end on a whole grapheme (#12.5): with an emoji (astral, skin-toned,
// a ZWJ family, a flag) at every position around the limit, the text is well-formed UTF-16 (so valid UTF-8),
// keeps whole emoji only, parses as MarkdownV2 and fits. Synthetic alerts.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../pipeline/alerts.ts';
import { markdownV2Error, markdownV2Length } from '../testing/fake-receivers.ts';
import { cutGraphemes, graphemesOf, truncate } from './message.ts';
import { shortenEscaped, telegramText, TELEGRAM_MAX } from './telegram.ts';

const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '✈️'];

function alert(description: string): Alert {
  return {
    id: 'cut0123456789abc', ts: Date.UTC(2026, 2, 1), symbol: 'BTCUSDT', event_type: 'REGIME_CONFIRMED', severity: 'INFO',
    title: 'BTCUSDT regime confirmed', description, source: 'regime', direction: 1, data: { confidence: 0.75 },
  };
}

/** no lone surrogate: what TDLib rejects as "Text must be encoded in UTF-8" */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * whether `text` (ellipsis removed) is made of whole graphemes of `full`, and every emoji in it is whole: a
 * prefix of `full` that ends where one of full's graphemes ends (a prefix cut on a boundary segments as the full
 * text does). Asked of the segment at the cut rather than by listing all ~4,000 graphemes of both texts, which
 * cost ≈ 20 ms a call — most of this file's time.
 */
function wholeGraphemes(text: string, full: string): boolean {
  const cut = text.endsWith('…') ? text.slice(0, -1) : text;
  if (!full.startsWith(cut)) return false;
  return cut.length === full.length || segmenter.segment(full).containing(cut.length)!.index === cut.length;
}

describe('Telegram cut on grapheme boundaries', () => {
  it('the whole-grapheme check agrees with comparing the two texts grapheme by grapheme, and refuses a cut inside an emoji', () => {
    let refused = 0;
    for (const emoji of EMOJI) {
      const full = `ab${emoji}${emoji}c`;
      const fullG = graphemesOf(full);
      for (let n = 0; n <= full.length; n++) {
        const cut = full.slice(0, n);
        const byListing = graphemesOf(cut).every((g, i) => g === fullG[i]);
        expect(wholeGraphemes(cut, full), `${emoji} cut at ${n}`).toBe(byListing);
        if (!byListing) refused++;
      }
    }
    expect(refused).toBeGreaterThan(EMOJI.length);
    expect(wholeGraphemes('ab…', 'abc')).toBe(true);
    expect(wholeGraphemes('ax', 'abc')).toBe(false);
  });

  for (const emoji of EMOJI) {
    it(`${emoji} at every position near the limit`, () => {
      let checked = 0;
      for (let k = 4010; k <= 4070; k++) {
        const description = `${'a'.repeat(k)}${emoji}${emoji}tail`;
        const text = telegramText({ alert: alert(description), paper: false, test: false, late: false });
        expect(wellFormed(text), `k=${k}`).toBe(true);
        expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
        expect(text.length).toBeLessThanOrEqual(TELEGRAM_MAX);
        expect(markdownV2Length(text)).toBeLessThanOrEqual(TELEGRAM_MAX);
        expect(markdownV2Error(text), `k=${k}`).toBeNull();
        // the description line of the message is a whole-grapheme prefix of the description
        const line = text.split('\n')[2];
        expect(wholeGraphemes(line, description), `k=${k}: ${JSON.stringify(line.slice(-12))}`).toBe(true);
        checked++;
      }
      expect(checked).toBe(61);
    });
  }

  it('never splits an escape pair, and a cut by UTF-16 unit would have split the emoji', () => {
    const s = `${'\\.'.repeat(10)}👨‍👩‍👧`;
    for (let max = 2; max <= s.length + 1; max++) {
      const out = shortenEscaped(s, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.slice(0, -1)).toMatch(/^(\\\.)*(👨‍👩‍👧)?$/u);
    }
    const naive = `ab👍🏽`.slice(0, 3);
    expect(wellFormed(naive)).toBe(false);
    expect(cutGraphemes('ab👍🏽', 3)).toBe('ab');
    expect(truncate('ab👍🏽cd', 7)).toBe('ab👍🏽…');
    expect(truncate('ab👍🏽cd', 6)).toBe('ab…');
  });
});
