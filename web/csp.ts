/**
 * Content-Security-Policy for the pages the server sends, none with 'unsafe-inline'. The dashboard and the
 * docs load only their own files and evaluate no strings (the dashboard embeds vega with its expression
 * interpreter, `ast: true`, so there is no 'unsafe-eval' either). A rendered report is one self-contained file
 * (so it also works from file://): its policy is engine/report/csp.ts's reportCsp — hashes of the exact
 * inline blocks served — applied by web/static.ts.
 */
import { reportCsp } from '../engine/report/csp.ts';
import { vegaStyleHashes } from './vega-styles.ts';

const COMMON = ["default-src 'self'", "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"];

/** the dashboard: its own script files only; vega-embed's run-time <style> elements by hash */
export function pageCsp(): string {
  return [...COMMON, "script-src 'self'", `style-src 'self' ${vegaStyleHashes().join(' ')}`, "form-action 'self'"].join('; ');
}

/**
 * swagger-ui's page: its own files only (it evaluates nothing). The bundle inserts one fixed <style> element at
 * run time; its hash (swagger-ui 5 as pinned by @fastify/swagger-ui 5.2.6) is allowed here, and
 * web/login.e2e.ts (run by web/browser.e2e.test.ts) fails on any CSP violation if an upgrade changes it.
 */
const SWAGGER_UI_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
export const DOCS_CSP = [...COMMON, "script-src 'self'", `style-src 'self' ${SWAGGER_UI_STYLE}`, "form-action 'none'"].join('; ');

/** a report's own policy (computed from the bytes served), plus what only a header can say */
export function servedReportCsp(html: string): string {
  return `${reportCsp(html)}; frame-ancestors 'none'`;
}
