// The policies the server sends: none with 'unsafe-inline' or 'unsafe-eval'; vega-embed's run-time style
// elements allowed by the hashes of the texts in the build the page loads; a served report's policy carries the
// hashes of its own inline blocks plus frame-ancestors (which only a header can set).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DOCS_CSP, pageCsp, servedReportCsp } from './csp.ts';
import { literalStartingWith, vegaStyleHashes } from './vega-styles.ts';

const sha = (t: string) => `'sha256-${createHash('sha256').update(t, 'utf8').digest('base64')}'`;

describe('CSP', () => {
  it('the dashboard and docs policies allow no inline script, no eval', () => {
    for (const p of [pageCsp(), DOCS_CSP]) {
      expect(p).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(p).toMatch(/script-src 'self'(;|$)/);
      expect(p).toContain("frame-ancestors 'none'");
    }
  });

  it('finds vega-embed\'s two injected style texts and allows both (with and without line breaks)', () => {
    const hashes = vegaStyleHashes();
    expect(hashes).toHaveLength(4);
    for (const h of hashes) expect(pageCsp()).toContain(h);
  });

  it('reads a string literal of a library build as the string it is', () => {
    expect(literalStartingWith(`var a=1,b=".x {\\n  color: red;\\n}";`, '.x {')).toBe('.x {\n  color: red;\n}');
    expect(literalStartingWith(`var b='#y { a: "b" }';`, '#y {')).toBe('#y { a: "b" }');
    expect(literalStartingWith('nothing here', '.x {')).toBeNull();
  });

  it('a served report gets the hashes of its own inline script and style, none for JSON data', () => {
    const script = 'document.title = "drawn";';
    const style = 'body { color: red; }';
    const html = `<!doctype html><html><head><style>${style}</style></head><body><script type="application/json" id="d">{"a":1}</script><script>${script}</script></body></html>`;
    const p = servedReportCsp(html);
    expect(p).toContain(sha(script));
    expect(p).toContain(sha(style));
    expect(p).not.toContain(sha('{"a":1}'));
    expect(p).toContain("frame-ancestors 'none'");
    expect(p).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});
