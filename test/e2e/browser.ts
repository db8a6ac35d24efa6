// Browser tests: Debian's Chromium driven by playwright-core against a real server (the app
// listening on a loopback port) on a fresh database. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { builtWebRoot } from '../../src/adapters/http/routes/web-routes.js';
import type { Policy } from '../../src/modules/deps.js';
import { type Harness, type TestUser, currentTotp, startHarness } from '../../src/testing/harness.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

export interface BrowserHarness extends Harness {
  baseUrl: string;
  browser: Browser;
  newPage(options?: { width?: number }): Promise<Page>;
}

export async function startBrowserHarness(options: { policy?: Partial<Policy> } = {}): Promise<BrowserHarness> {
  const webRoot = builtWebRoot();
  if (webRoot === null) throw new Error('The web UI is not built: run `npm run build:web` (npm test does).');
  const harness = await startHarness('pglite', { ...options, webRoot });
  const listeningAt = await harness.app.listen({ port: 0, host: '127.0.0.1' });
  // The browser opens it as localhost (Chromium maps that name to loopback itself): WebAuthn
  // refuses an IP address as relying-party ID, and passkeys are part of what is tested.
  const baseUrl = listeningAt.replace('//127.0.0.1:', '//localhost:');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    ...harness,
    baseUrl,
    browser,
    newPage: async ({ width = 1280 } = {}) => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, baseURL: baseUrl });
      return context.newPage();
    },
    close: async () => {
      await browser.close();
      await harness.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** axe-core with the WCAG 2.x A and AA rules: no violation allowed. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const summary = results.violations.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
  expect(summary, `accessibility violations on ${where}`).toEqual([]);
}

/** Password, then the authenticator app, through the sign-in screen of either surface. */
export async function signInThroughBrowser(
  harness: BrowserHarness,
  page: Page,
  user: TestUser,
  surfacePath: '/' | '/admin',
  atSecondFactor: (page: Page) => Promise<void> = async () => undefined,
): Promise<void> {
  await page.goto(surfacePath);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Verify it’s you' }).waitFor();
  await atSecondFactor(page);
  harness.clock.advance(30);
  await page.getByRole('radio', { name: 'Authenticator app' }).check();
  await page.getByLabel('Verification code').fill(currentTotp(harness, user));
  await page.getByRole('button', { name: 'Verify' }).click();
}

/** The details of the newest audit event of a type about a user: how the test knows which factor was used. */
export async function latestAuditDetails(harness: Harness, userId: string, type: string): Promise<Record<string, unknown>> {
  const event = await harness.deps.db
    .selectFrom('audit_events')
    .select('details')
    .where('target_id', '=', userId)
    .where('type', '=', type)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return event.details;
}
