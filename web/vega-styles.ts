/**
 * vega-embed and its tooltip add a <style> element at run time (the embed's layout rules, the tooltip's look).
 * Under a CSP without 'unsafe-inline' that element needs its hash, so the two style texts are read from the
 * vega-embed build the pages actually load and hashed here. vega-embed sets its text with innerText, which
 * turns line breaks into <br> elements, so the text a browser hashes has none: both forms are allowed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { vendorFile } from './vendor.ts';

/** the JavaScript string literal that starts with `start` (its opening quote right before it) */
export function literalStartingWith(src: string, start: string): string | null {
  for (const q of ['"', "'", '`']) {
    const i = src.indexOf(q + start);
    if (i < 0) continue;
    let j = i + 1;
    while (j < src.length && src[j] !== q) j += src[j] === '\\' ? 2 : 1;
    // a literal of the library's own source, evaluated as the literal it is (no interpolation: quotes only)
    if (q === '`' && src.slice(i, j).includes('${')) return null;
    return new Function(`return ${src.slice(i, j + 1)};`)() as string;
  }
  return null;
}

const sha = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

let cached: string[] | null = null;

export function vegaStyleHashes(): string[] {
  if (cached) return cached;
  const src = fs.readFileSync(vendorFile('vega-embed', 'vega-embed.min.js'), 'utf8');
  const texts = [literalStartingWith(src, '.vega-embed {'), literalStartingWith(src, '#vg-tooltip-element {')].filter((t): t is string => t !== null);
  cached = [...new Set(texts.flatMap((t) => [sha(t), sha(t.replaceAll('\n', ''))]))];
  return cached;
}
