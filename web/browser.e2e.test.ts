// Every browser test, in one file around one shared Chromium (web/e2e-browser.ts): the login step, the
// dashboard and the rendered reports, each suite with its own server and browser context. One file rather than
// three keeps the two test workers from running two browsers side by side. The reports suite builds its
// fixtures (a backtest, the notebook renders, a server) in the background from the start, while the login and
// dashboard suites mostly wait on Chromium.
import { afterAll } from 'vitest';
import { closeSharedBrowser } from './e2e-browser.ts';
import { loginSuite } from './login.e2e.ts';
import { dashboardSuite } from './dashboard.e2e.ts';
import { closeReports, reportsSuite } from './reports.e2e.ts';

afterAll(async () => {
  await closeReports();
  await closeSharedBrowser();
});

loginSuite();
dashboardSuite();
// registered last, so it runs last; its fixtures start building now, at collection
reportsSuite();
