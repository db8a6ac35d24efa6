// Digital Banking's Settings: an authenticator app added with its QR code, the user's own
// recovery codes shown once; a first sign-in without any device enrols one; 375 px wide.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/modules/twofactor/totp/totp.js';
import { addUser } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

it('adds an authenticator app and creates the user’s own recovery codes, shown once', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Fiona', lastName: 'Saver' });
  const page = await harness.newPage({ width: 375 });
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Fiona' }).waitFor();
  await screenshot(page, 'banking-home-375');
  await page.getByRole('button', { name: 'Fiona Saver' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  await expectAccessible(page, 'Settings at 375 px');
  await screenshot(page, 'banking-settings-375');

  await page.getByRole('button', { name: 'Add authenticator app' }).click();
  const secret = await page.getByTestId('totp-secret').innerText();
  await expectAccessible(page, 'authenticator app set-up');
  await screenshot(page, 'banking-add-authenticator');
  harness.clock.advance(30);
  await page.getByLabel('Verification code').fill(totpCodeAt({ secretBase32: secret }, harness.clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect.poll(async () => (await harness.deps.db.selectFrom('factors').select('id').where('user_id', '=', customer.id).where('confirmed_at', 'is not', null).execute()).length).toBe(2);

  // Removing a device asks first, in a dialog that is as accessible as the page.
  await page.getByRole('button', { name: /^Remove Authenticator app/ }).first().click();
  const confirmRemoval = page.getByRole('alertdialog', { name: /^Remove Authenticator app/ });
  await confirmRemoval.waitFor();
  await expectAccessible(page, 'remove device dialog');
  await screenshot(page, 'banking-remove-device-375');
  await confirmRemoval.getByRole('button', { name: 'Cancel' }).click();
  await confirmRemoval.waitFor({ state: 'detached' });

  // A device can be given a name the person recognises.
  await page.getByRole('button', { name: /^Rename Authenticator app/ }).first().click();
  const rename = page.getByRole('dialog', { name: 'Rename Authenticator app' });
  await rename.getByLabel('Device name').fill('Work phone');
  await expectAccessible(page, 'rename device dialog');
  await rename.getByRole('button', { name: 'Save name' }).click();
  await page.getByText('Device renamed to Work phone.').waitFor();
  await expect.poll(() => page.locator('.device-name').allInnerTexts()).toContain('Work phone');

  await page.getByRole('button', { name: 'Generate recovery codes' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  const codes = await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').allInnerTexts();
  expect(codes).toHaveLength(10);
  await expectAccessible(page, 'own recovery codes');
  await screenshot(page, 'banking-own-codes-375');
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await expect.poll(() => page.locator('main').innerText()).toMatch(/10 backup codes remaining/);
  expect(await page.locator('body').innerText()).not.toContain(codes[0]!);

  // With 3 or fewer left, Settings warns. (Seven codes are spent in the database directly:
  // signing in seven times would test sign-in again, not this screen.)
  const unused = await harness.deps.db.selectFrom('backup_codes').select('id').where('user_id', '=', customer.id).where('used_at', 'is', null).limit(7).execute();
  await harness.deps.db.updateTable('backup_codes').set({ used_at: harness.clock.now() }).where('id', 'in', unused.map((row) => row.id)).execute();
  await page.reload();
  await page.getByText('Only 3 backup codes left.').waitFor();
  await expectAccessible(page, 'Settings with few codes left');
  await screenshot(page, 'banking-few-codes-left-375');
});

it('a customer with no device yet sets up an authenticator app at sign-in', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Gus', lastName: 'New', withTotp: false });
  const page = await harness.newPage();
  await page.goto('/');
  await page.getByLabel('Username').fill(customer.username);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
  const secret = await page.getByTestId('totp-secret').innerText();
  await expectAccessible(page, 'enrolment at sign-in');
  await screenshot(page, 'banking-enrol-at-sign-in');
  await page.getByLabel('Verification code').fill(totpCodeAt({ secretBase32: secret }, harness.clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Welcome, Gus' }).waitFor();
});
