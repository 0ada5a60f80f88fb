/** strings in code-point order: the same on every machine and locale, unlike localeCompare (which also loads ICU's collator) */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * a number in byText's order of the texts' first three UTF-16 units: a sort by text can compare these first and
 * call byText only where they tie. Each unit plus one in 17 bits (0 past the end, so a text sorts before any longer
 * one it begins), 51 bits in all: exact in a double.
 */
export function textHead(t: string): number {
  let key = 0;
  for (let c = 0; c < 3; c++) key = key * 0x20000 + (c < t.length ? t.charCodeAt(c) + 1 : 0);
  return key;
}
