/**
 * A strict Content-Security-Policy for a rendered report: no 'unsafe-inline', no 'unsafe-eval'. The page's
 * executable inline <script> blocks and its <style> blocks are allowed by their sha256 hashes; JSON data
 * blocks (type="application/json") are never executed, so they need none. Vega runs without eval because
 * the page embeds with `ast: true` (vega-embed's expression interpreter).
 */
import { createHash } from 'node:crypto';

const SCRIPT = /<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi;
const STYLE = /<style(\s[^>]*)?>([\s\S]*?)<\/style>/gi;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export interface InlineHashes {
  scripts: string[];
  styles: string[];
}

/** Hashes of the page's executable inline scripts and its style blocks, as CSP source expressions. */
export function inlineHashes(html: string): InlineHashes {
  const scripts: string[] = [];
  for (const m of html.matchAll(SCRIPT)) {
    const attrs = m[1] ?? '';
    if (/\bsrc\s*=/i.test(attrs)) continue;
    if (/\btype\s*=\s*["']?application\/(ld\+)?json/i.test(attrs)) continue;
    scripts.push(sha256(m[2]));
  }
  const styles = [...html.matchAll(STYLE)].map((m) => sha256(m[2]));
  return { scripts: [...new Set(scripts)], styles: [...new Set(styles)] };
}

/** The policy a server (or a meta tag) can send with this page. */
export function reportCsp(html: string): string {
  const h = inlineHashes(html);
  return [
    "default-src 'none'",
    `script-src ${h.scripts.join(' ') || "'none'"}`,
    `style-src ${h.styles.join(' ') || "'none'"}`,
    'img-src data:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
