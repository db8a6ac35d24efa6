// Password fields as ASVS 5.0 6.2.6 and 6.2.7 ask (SECURITY.md §1.5): masked (type=password),
// marked for password managers (autocomplete), and nothing stops a paste — on both sign-in
// screens and in Settings.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser } from '../../src/testing/harness.js';
import { type BrowserHarness, signInThroughBrowser, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

/** Masked, tagged for password managers, and a paste goes through (no handler cancels it). */
async function expectManagerFriendly(field: Locator, autocomplete: string): Promise<void> {
  expect(await field.getAttribute('type')).toBe('password');
  expect(await field.getAttribute('autocomplete')).toBe(autocomplete);
  const pasteCancelled = await field.evaluate((input) => {
    // Runs in the page; the test itself is compiled without the DOM's types.
    const page = globalThis as unknown as {
      DataTransfer: new () => { setData(type: string, value: string): void };
      ClipboardEvent: new (type: string, init: object) => Event;
    };
    const data = new page.DataTransfer();
    data.setData('text/plain', 'pasted passphrase from a manager');
    return !input.dispatchEvent(new page.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  expect(pasteCancelled).toBe(false);
}

async function expectSignInField(page: Page, path: '/' | '/admin'): Promise<void> {
  await page.goto(path);
  await expectManagerFriendly(page.getByLabel('Password'), 'current-password');
}

it('the sign-in screens of both surfaces mask the password and let managers fill and paste it', async () => {
  const page = await harness.newPage();
  await expectSignInField(page, '/');
  await expectSignInField(page, '/admin');
});

it('the password change in Settings does the same for the current and the new password', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Mia', lastName: 'Manager' });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('button', { name: 'Mia Manager' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await expectManagerFriendly(page.getByLabel('Current password'), 'current-password');
  await expectManagerFriendly(page.getByLabel('New password'), 'new-password');
});
