// Every browser test, in one file around one shared Chromium (web/e2e-browser.ts): the login step, the
// dashboard and the rendered reports, each suite with its own server and browser context. One file rather than
// three keeps the two test workers from running two browsers side by side. The three suites run side by side
// (each suite's own tests in order): alone, each mostly waits on one Chromium renderer or on its node-side
// fixtures (a backtest, the notebook renders, a server), so in sequence the file left most of the machine idle.
import { afterAll, describe } from 'vitest';
import { closeSharedBrowser } from './e2e-browser.ts';
import { loginSuite } from './login.e2e.ts';
import { dashboardSuite } from './dashboard.e2e.ts';
import { closeReports, reportsSuite } from './reports.e2e.ts';

afterAll(async () => {
  await closeReports();
  await closeSharedBrowser();
});

// concurrent here: the three suites beside each other; each suite's own tests stay in order ({ sequential: true })
describe('login', { concurrent: true }, loginSuite);
describe('dashboard', { concurrent: true }, dashboardSuite);
// its fixtures start building now, at collection
describe('reports', { concurrent: true }, reportsSuite);
