/**
 * Content-Security-Policy for every page the server sends, none with 'unsafe-inline'. The dashboard and the
 * docs load only their own files; a rendered report is one self-contained file (so it also works from
 * file://) whose inline <script> and <style> blocks are allowed by their sha256 hashes, computed per response
 * from the exact bytes served. 'unsafe-eval' stays because vega compiles its expressions with Function().
 */
import { createHash } from 'node:crypto';
import { vegaStyleHashes } from './vega-styles.ts';

const COMMON = ["default-src 'self'", "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"];

/** the dashboard: its own script files; vega-embed's run-time <style> elements by hash */
export function pageCsp(): string {
  return [...COMMON, "script-src 'self' 'unsafe-eval'", `style-src 'self' ${vegaStyleHashes().join(' ')}`, "form-action 'self'"].join('; ');
}

/** swagger-ui's page: its own files only (it evaluates nothing) */
export const DOCS_CSP = [...COMMON, "script-src 'self'", "style-src 'self'", "form-action 'none'"].join('; ');

const sha = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** types a browser executes; JSON and other data blocks are not scripts and need no hash */
const JS_TYPE = /^(|text\/javascript|application\/javascript|module|text\/ecmascript|application\/ecmascript)$/i;

export function inlineBlocks(html: string): { scripts: string[]; styles: string[]; styleAttrs: string[] } {
  const scripts: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const attrs = m[1];
    if (/\bsrc\s*=/i.test(attrs)) continue;
    const type = /\btype\s*=\s*["']?([^"'\s>]*)/i.exec(attrs)?.[1] ?? '';
    if (JS_TYPE.test(type.trim())) scripts.push(m[2]);
  }
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => m[1]);
  // inside <noscript> nothing is parsed as markup when scripts run
  const styleAttrs = [...html.replace(/<noscript\b[\s\S]*?<\/noscript\s*>/gi, '').matchAll(/\sstyle\s*=\s*"([^"]*)"/gi)].map((m) => m[1].replaceAll('&quot;', '"').replaceAll('&amp;', '&'));
  return { scripts, styles, styleAttrs };
}

export function reportCsp(html: string): string {
  const { scripts, styles, styleAttrs } = inlineBlocks(html);
  const uniq = (xs: string[]) => [...new Set(xs.map(sha))];
  const styleSrc = ["'self'", ...uniq(styles), ...vegaStyleHashes(), ...(styleAttrs.length ? ["'unsafe-hashes'", ...uniq(styleAttrs)] : [])];
  return [...COMMON, `script-src 'self' 'unsafe-eval' ${uniq(scripts).join(' ')}`.trim(), `style-src ${styleSrc.join(' ')}`, "form-action 'none'"].join('; ');
}
