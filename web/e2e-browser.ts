/**
 * The one headless Debian Chromium that every browser test of a run shares (web/browser.e2e.test.ts): started
 * on first use, closed by that file's afterAll. Each suite takes its own context (own cookies, cache and
 * routes), so suites stay independent while paying for one browser start-up instead of one each — and the
 * browser files no longer run side by side in the two test workers, each slowing the other.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

// Debian's chromium, as the project decided. REGIME_TEST_CHROMIUM names another binary: Debian's
// chromium-headless-shell package (/usr/lib/chromium/chromium-headless-shell, the same build without the full browser)
// measured ≈ 20 % less Chromium CPU for the same page loads, but it is not what CI installs
export const CHROMIUM = process.env.REGIME_TEST_CHROMIUM || '/usr/bin/chromium';
export const chromiumAvailable = fs.existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI installs Debian chromium for the browser tests`);

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Promise<Browser> | null = null;

/** the shared browser (playwright gives it a fresh temporary profile, removed when it closes) */
export function sharedBrowser(): Promise<Browser> {
  browser ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return browser;
}

/** a fresh context of the shared browser */
export async function newContext(opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  return (await sharedBrowser()).newContext(opts);
}

export async function closeSharedBrowser(): Promise<void> {
  const b = browser;
  browser = null;
  await (await b?.catch(() => null))?.close();
}
