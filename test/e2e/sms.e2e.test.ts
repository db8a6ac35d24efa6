// SMS codes in Chromium (SPEC §3, §4): a customer adds her phone in Settings (number, then the
// texted code), signs out, and signs in with password + a texted code, asking for a new one
// on the way. The texts are read from the outbox, opened with the delivery key, as the phone
// would read them.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decrypt } from '../../src/shared/secrets.js';
import { addUser } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness, latestAuditDetails } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

/** Waits for a text not seen before, and returns its code. */
async function nextCode(seen: Set<string>): Promise<string> {
  let code: string | null = null;
  await expect
    .poll(async () => {
      const rows = await harness.deps.db.selectFrom('notifications').select(['id', 'secret_ciphertext']).where('kind', '=', 'sms_code').execute();
      const fresh = rows.find((row) => !seen.has(row.id) && row.secret_ciphertext !== null);
      if (fresh === undefined) return false;
      seen.add(fresh.id);
      code = decrypt(harness.deps.keys.get('notification-secret'), fresh.secret_ciphertext ?? '');
      return true;
    })
    .toBe(true);
  return code ?? '';
}

async function signOut(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Digital Banking' }).waitFor();
}

it('adds a phone in Settings, then signs in with a texted code', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Sonja', lastName: 'Text' });
  const page = await harness.newPage();
  const seen = new Set<string>();

  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Sonja' }).waitFor();
  await page.getByRole('button', { name: 'Sonja Text' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  await page.getByRole('button', { name: 'Add text message (SMS)' }).click();
  await page.getByLabel('Mobile number').fill('12345');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText('Enter a mobile number in international format', { exact: false }).first().waitFor();
  await page.getByLabel('Mobile number').fill('+44 7700 900123');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText('We sent a 6-digit code to +44 7700 900123.').waitFor();
  await expectAccessible(page, 'Settings, SMS code sent');
  await screenshot(page, 'banking-sms-enrolment');
  await page.getByLabel('Verification code').fill(await nextCode(seen));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('Text message device added. You can use it the next time you sign in.').waitFor();
  await page.locator('.device-list').getByText('Text message to •••• 0123', { exact: true }).waitFor();

  await signOut(page, 'Sonja Text');
  await page.getByLabel('Username').fill(customer.username);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Verify it’s you' }).waitFor();
  await page.getByRole('radio', { name: 'Text message to •••• 0123' }).check();
  await page.getByRole('button', { name: 'Send code', exact: true }).click();
  const first = await nextCode(seen);
  await page.getByRole('button', { name: 'Send a new code' }).click();
  const second = await nextCode(seen);
  await expectAccessible(page, 'sign-in with an SMS code');
  await screenshot(page, 'banking-sign-in-sms');
  if (first !== second) {
    await page.getByLabel('Verification code').fill(first);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('That code is not valid.', { exact: false }).waitFor();
  }
  await page.getByLabel('Verification code').fill(second);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'Sonja Text' }).waitFor();
  expect(await latestAuditDetails(harness, customer.id, 'sign_in.succeeded')).toMatchObject({ factor: 'sms' });

  // Step-up with a texted code: removing the authenticator app, once the last second factor
  // is older than the step-up window (the session kept alive meanwhile).
  // Signed in, back on Settings where she signed out.
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  harness.clock.advance(600);
  await page.reload();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  harness.clock.advance(400);
  await page.getByRole('button', { name: /^Remove Authenticator app/ }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Remove' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm it’s you' });
  await dialog.waitFor();
  await dialog.getByRole('radio', { name: 'Text message to •••• 0123' }).check();
  await dialog.getByRole('button', { name: 'Send code', exact: true }).click();
  await dialog.getByText('We sent a 6-digit code to •••• 0123.', { exact: false }).waitFor();
  await expectAccessible(page, 'step-up with an SMS code');
  await screenshot(page, 'banking-step-up-sms');
  await dialog.getByLabel('Verification code').fill(await nextCode(seen));
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('Authenticator app removed.', { exact: false }).waitFor();
  expect(await latestAuditDetails(harness, customer.id, 'reauthentication.succeeded')).toMatchObject({ factor: 'sms' });
});
