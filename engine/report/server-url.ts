/**
 * Where a running `regime serve` would show a rendered report: probes /api/health on loopback (default port
 * 3000, or the port in REGIME_SERVE_URL) with a short timeout. Never more than a hint: no server, no URL.
 */
import http from 'node:http';

export function probeServer(base: string, timeoutMs = 400): Promise<boolean> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL('/api/health', base);
    } catch {
      return resolve(false);
    }
    // loopback only: a report path is never announced to another machine
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return resolve(false);
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      // 401 means a server with a token is there: the report pages are still served under /reports/
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** The URL of a report folder on a running server, or null. */
export async function servedReportUrl(folder: string, base = process.env.REGIME_SERVE_URL ?? 'http://127.0.0.1:3000'): Promise<string | null> {
  if (!(await probeServer(base))) return null;
  return new URL(`/reports/${encodeURIComponent(folder)}/`, base).href;
}
