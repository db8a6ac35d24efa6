// Passkeys in Chromium (SPEC §3, §4; issue 4's acceptance): a customer adds a passkey in
// Settings, signs out, signs in with password + passkey, and steps up with it before
// generating recovery codes. The authenticator is Chromium's virtual one (CDP WebAuthn
// domain), with user verification and presence answered automatically.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness, latestAuditDetails } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

/** A page with a platform authenticator (like Touch ID or Windows Hello) that always says yes. */
async function pageWithVirtualAuthenticator(): Promise<{ page: Page; credentialCount: () => Promise<number> }> {
  const page = await harness.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, credentialCount: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length };
}

it('adds a passkey in Settings, signs in with it, and steps up with it', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Petra', lastName: 'Keys' });
  const { page, credentialCount } = await pageWithVirtualAuthenticator();
  const passkeyFactors = () =>
    harness.deps.db.selectFrom('factors').select(['id', 'label', 'sign_count']).where('user_id', '=', customer.id).where('type', '=', 'webauthn').execute();

  // Add a passkey from Settings, right after signing in with the authenticator app.
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Petra' }).waitFor();
  await page.getByRole('button', { name: 'Petra Keys' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey added. You can use it the next time you sign in.').waitFor();
  await expect.poll(passkeyFactors).toHaveLength(1);
  expect(await credentialCount()).toBe(1);
  await page.locator('.device-list').getByText('Passkey', { exact: true }).waitFor();
  await expectAccessible(page, 'Settings with a passkey added');
  await screenshot(page, 'banking-passkey-added');

  // Sign out, then sign in with password + passkey.
  await page.getByRole('button', { name: 'Petra Keys' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Digital Banking' }).waitFor();
  await page.getByLabel('Username').fill(customer.username);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Verify it’s you' }).waitFor();
  await page.getByRole('radio', { name: 'Passkey' }).check();
  await page.getByRole('button', { name: 'Use passkey' }).waitFor();
  await expect(page.getByLabel('Verification code').count()).resolves.toBe(0);
  await expectAccessible(page, 'sign-in with a passkey chosen');
  await screenshot(page, 'banking-sign-in-passkey');
  await page.getByRole('button', { name: 'Use passkey' }).click();
  // Signed in, back where she signed out.
  await page.getByRole('button', { name: 'Petra Keys' }).waitFor();
  const [factor] = await passkeyFactors();
  expect(Number(factor!.sign_count)).toBeGreaterThan(0);
  expect(await latestAuditDetails(harness, customer.id, 'sign_in.succeeded')).toMatchObject({ factor: 'webauthn' });

  // 16 minutes later (with a request in between, so the session stays alive), generating
  // recovery codes asks for the second factor again: the passkey answers.
  harness.clock.advance(10 * 60);
  await page.reload();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  harness.clock.advance(6 * 60);
  await page.getByRole('button', { name: 'Generate recovery codes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm it’s you' });
  await dialog.waitFor();
  await dialog.getByRole('radio', { name: 'Passkey' }).check();
  await dialog.getByRole('button', { name: 'Use passkey' }).waitFor();
  await expectAccessible(page, 'step-up dialog with a passkey chosen');
  await screenshot(page, 'banking-step-up-passkey');
  await dialog.getByRole('button', { name: 'Use passkey' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  expect(await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').count()).toBe(10);
  expect(await latestAuditDetails(harness, customer.id, 'reauthentication.succeeded')).toMatchObject({ factor: 'webauthn' });
});
