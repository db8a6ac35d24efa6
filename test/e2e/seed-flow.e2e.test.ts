// SPEC §2's seven steps, clicked through in Chromium, worded as the seed words them.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/modules/twofactor/totp/totp.js';
import { addUser } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

const codesOnPage = async (page: Page) => page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').allInnerTexts();

it('staff generates backup codes; the customer signs in with one and sees one code fewer', async () => {
  const staff = await addUser(harness, { kind: 'staff', firstName: 'Hannah', lastName: 'Desk', permissions: ['users.generate_lockout_codes', 'users.view', 'audit.view'] });
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Alice', lastName: 'Martin' });

  const admin = await harness.newPage();
  await admin.goto('/admin');
  await expectAccessible(admin, 'Admin Platform sign-in');
  await screenshot(admin, '01-admin-sign-in');
  await signInThroughBrowser(harness, admin, staff, '/admin', async (page) => {
    await expectAccessible(page, 'Admin Platform second-factor step');
    await screenshot(page, '01b-admin-second-factor');
  });

  // 1. From the Admin Platform, select Manage Users from the top navigation bar.
  await admin.getByRole('navigation').getByRole('link', { name: 'Manage Users' }).click();
  await admin.getByRole('heading', { name: 'Manage Users', level: 1 }).waitFor();
  await expect.poll(() => admin.getByRole('link', { name: 'Alice Martin' }).count()).toBe(1);
  await expectAccessible(admin, 'Manage Users');
  await screenshot(admin, '02-manage-users');

  // 2. Select a user's name from the user list.
  await admin.getByRole('link', { name: 'Alice Martin' }).click();
  await admin.getByRole('heading', { name: 'Alice Martin', level: 1 }).waitFor();

  // 3. Scroll down to the Two-Factor Authentication section. Select Generate Backup Codes.
  const twoFactor = admin.getByRole('heading', { name: 'Two-Factor Authentication' });
  await twoFactor.scrollIntoViewIfNeeded();
  await expectAccessible(admin, 'user page');
  await screenshot(admin, '03-user-page');
  await admin.getByRole('button', { name: 'Generate Backup Codes' }).click();

  // 4. In the warning that appears, select Generate Backup Codes again to continue.
  const warning = admin.getByRole('alertdialog', { name: 'Generate Backup Codes' });
  await warning.waitFor();
  await expect(warning.innerText()).resolves.toMatch(/very high-risk action/i);
  await expect(warning.innerText()).resolves.toMatch(/absolutely certain/i);
  await expectAccessible(admin, 'warning dialog');
  await screenshot(admin, '04-warning');
  await warning.getByLabel('Note (optional)').fill('Identity verified by video call, ticket 4711');
  await warning.getByRole('button', { name: 'Generate Backup Codes' }).click();

  // 5. On the page that appears, backup codes are displayed only once, with how to share them.
  await admin.getByRole('heading', { name: 'Backup codes for Alice Martin' }).waitFor();
  const codes = await codesOnPage(admin);
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const codesPage = await admin.locator('main').innerText();
  expect(codesPage).toMatch(/in person or by calling/i);
  expect(codesPage).toMatch(/never send them by email or text message/i);
  expect(codesPage).toMatch(/only once/i);
  await expectAccessible(admin, 'codes page');
  await screenshot(admin, '05-codes-page');
  const stored = await admin.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, url: location.href, state: history.state })');
  for (const code of codes) {
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(code.replaceAll('-', ''));
  }

  // 6. The user signs in as normal, selects Backup codes from the device list and enters one.
  const bank = await harness.newPage();
  await bank.goto('/');
  await expectAccessible(bank, 'Digital Banking sign-in');
  await bank.getByLabel('Username').fill(customer.username);
  await bank.getByLabel('Password').fill(customer.password);
  await bank.getByRole('button', { name: 'Sign in' }).click();
  await bank.getByRole('radio', { name: 'Backup codes' }).check();
  await expectAccessible(bank, 'device list');
  await screenshot(bank, '06-device-list');
  await bank.getByLabel('Backup code', { exact: true }).fill(codes[0]!);
  await bank.getByRole('button', { name: 'Verify' }).click();
  // Signed in with a code from the bank: Digital Banking asks to secure the account first (SPEC §2).
  await bank.getByRole('heading', { name: 'Secure your account', level: 1 }).waitFor();
  await expectAccessible(bank, 'secure your account');
  await screenshot(bank, '07-signed-in-secure-account');
  const status = await bank.evaluate<{ backupCodes: { remaining: number; origin: string } }>("fetch('/api/banking/me/two-factor').then((reply) => reply.json())");
  expect(status.backupCodes).toMatchObject({ remaining: 9, origin: 'staff' });

  // Each code can be used only once.
  const again = await harness.newPage();
  await again.goto('/');
  await again.getByLabel('Username').fill(customer.username);
  await again.getByLabel('Password').fill(customer.password);
  await again.getByRole('button', { name: 'Sign in' }).click();
  await again.getByRole('radio', { name: 'Backup codes' }).check();
  await again.getByLabel('Backup code', { exact: true }).fill(codes[0]!.toLowerCase().replaceAll('-', ''));
  await again.getByRole('button', { name: 'Verify' }).click();
  await again.getByText('That code is not valid').waitFor();
  await screenshot(again, '09-code-used-twice');

  // Securing: a new authenticator app, then the customer's own recovery codes.
  const secret = await bank.getByTestId('totp-secret').innerText();
  harness.clock.advance(30);
  await bank.getByLabel('Verification code').fill(totpCodeAt({ secretBase32: secret }, harness.clock.now()));
  await bank.getByRole('button', { name: 'Confirm' }).click();
  await bank.getByRole('button', { name: 'Create recovery codes' }).click();
  await bank.getByRole('heading', { name: 'Your recovery codes', exact: true }).waitFor();
  await bank.getByRole('button', { name: 'I have saved these codes' }).click();
  await bank.getByRole('heading', { name: 'Welcome, Alice' }).waitFor();
  await expectAccessible(bank, 'Digital Banking home');

  // 7. Settings (their name, upper right) → Two-Factor Authentication: the customer's own codes
  // have replaced what was left of the staff-issued set.
  await bank.getByRole('button', { name: 'Alice Martin' }).click();
  await bank.getByRole('link', { name: 'Settings' }).click();
  await bank.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  await expect.poll(() => bank.locator('main').innerText()).toMatch(/10 backup codes remaining/);
  await expect.poll(() => bank.locator('main').innerText()).toMatch(/Your own recovery codes/);
  await expectAccessible(bank, 'Settings');
  await screenshot(bank, '08-settings');
  for (const code of codes.slice(1)) expect(await bank.locator('body').innerText()).not.toContain(code);

  // Leaving the codes page loses the codes: neither Back nor reload shows them again.
  await admin.getByRole('button', { name: 'Done' }).click();
  await admin.getByRole('heading', { name: 'Alice Martin', level: 1 }).waitFor();
  await admin.reload();
  await admin.getByRole('heading', { name: 'Alice Martin', level: 1 }).waitFor();
  expect(await admin.getByRole('list', { name: 'Backup codes' }).count()).toBe(0);
  await admin.goBack();
  await admin.waitForLoadState();
  expect(await admin.locator('body').innerText()).not.toContain(codes[1]!);
  await admin.goForward();
  await admin.waitForLoadState();
  expect(await admin.locator('body').innerText()).not.toContain(codes[1]!);
});
