// The Admin Platform's core flow with the keyboard alone: every step reachable with Tab,
// activated with Enter; the warning dialog traps focus and gives it back when it closes.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser, currentTotp } from '../../src/testing/harness.js';
import { type BrowserHarness, screenshot, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

/** The accessible name (roughly) of the focused element: its label, aria-label or text. */
const focusedName = (page: Page) =>
  page.evaluate<string>(`(() => {
    const el = document.activeElement;
    if (!el) return '';
    const label = el.id ? document.querySelector('label[for="' + el.id + '"]') : null;
    return (el.getAttribute('aria-label') || (label && label.textContent) || el.textContent || '').trim();
  })()`);

async function tabTo(page: Page, name: string | RegExp, maxTabs = 40): Promise<void> {
  for (let tabs = 0; tabs < maxTabs; tabs += 1) {
    await page.keyboard.press('Tab');
    const current = await focusedName(page);
    if (typeof name === 'string' ? current === name : name.test(current)) return;
  }
  throw new Error(`could not reach "${String(name)}" with Tab`);
}

const focusIsInside = (page: Page, selector: string) => page.evaluate<boolean>(`!!document.activeElement && !!document.activeElement.closest('${selector}')`);

it('signs in, finds the user and generates codes with the keyboard alone', async () => {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view', 'users.generate_lockout_codes'] });
  await addUser(harness, { kind: 'customer', firstName: 'Kim', lastName: 'Keys' });
  const page = await harness.newPage();
  await page.goto('/admin');

  await tabTo(page, 'Username');
  await page.keyboard.type(staff.username);
  await tabTo(page, 'Password');
  await page.keyboard.type(staff.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Verify it’s you' }).waitFor();
  harness.clock.advance(30);
  await tabTo(page, /^Verification code/);
  await page.keyboard.type(currentTotp(harness, staff));
  await page.keyboard.press('Enter');

  await page.getByRole('heading', { name: 'Manage Users', level: 1 }).waitFor();
  await tabTo(page, 'Kim Keys');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kim Keys', level: 1 }).waitFor();

  await tabTo(page, 'Generate Backup Codes');
  await page.keyboard.press('Enter');
  await page.getByRole('alertdialog').waitFor();
  // Focus stays inside the dialog however far one tabs…
  for (let tabs = 0; tabs < 8; tabs += 1) {
    await page.keyboard.press('Tab');
    expect(await focusIsInside(page, '[role="alertdialog"]')).toBe(true);
  }
  // …and returns to the button that opened it when it closes.
  await page.keyboard.press('Escape');
  await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  await expect.poll(() => focusedName(page)).toBe('Generate Backup Codes');

  await page.keyboard.press('Enter');
  await page.getByRole('alertdialog').waitFor();
  await tabTo(page, 'Generate Backup Codes');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Backup codes for Kim Keys' }).waitFor();
  await screenshot(page, 'keyboard-codes-page');
  await tabTo(page, 'Done');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Kim Keys', level: 1 }).waitFor();
});
