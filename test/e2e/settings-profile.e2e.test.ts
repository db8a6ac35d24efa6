// Settings in Chromium (SPEC §4, §2): the profile's messages from the shared schema, a new
// email confirmed with its code, the password change that lands on sign-in, active sessions,
// the unskippable "secure your account" step after a staff-issued code on both surfaces, and
// the Admin Platform's own Settings. axe-core on every new page; screenshots saved.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PASSWORD_CHANGE_NOTICE, PROFILE_MESSAGES } from '../../contract/settings.js';
import { totpCodeAt } from '../../src/modules/twofactor/totp/totp.js';
import { decrypt } from '../../src/shared/secrets.js';
import { type TestUser, addUser, signIn } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

async function openSettings(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
}

const section = (page: Page, name: string) => page.getByRole('region', { name });

async function staffIssuedCodes(customer: TestUser, options: { issuerIsAdmin?: boolean } = {}): Promise<string[]> {
  const issuer = await addUser(harness, { kind: 'staff', isAdmin: options.issuerIsAdmin ?? false, permissions: ['users.generate_lockout_codes'] });
  const admin = await signIn(harness, issuer, 'admin');
  const reply = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'verified by phone' });
  expect(reply.statusCode).toBe(201);
  return reply.json().codes as string[];
}

async function signInWithBackupCode(page: Page, user: TestUser, code: string, surfacePath: '/' | '/admin'): Promise<void> {
  await page.goto(surfacePath);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('radio', { name: 'Backup codes' }).check();
  await page.getByLabel('Backup code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

/** Goes through both steps of the "secure your account" page. */
async function secureAccount(page: Page, where: string): Promise<string[]> {
  await page.getByRole('heading', { name: 'Secure your account', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Step 1 of 2: Add an authenticator app' }).waitFor();
  const secret = await page.getByTestId('totp-secret').innerText();
  await expectAccessible(page, `${where}: secure your account, step 1`);
  await screenshot(page, `${where}-secure-account-step-1`);
  harness.clock.advance(30);
  await page.getByLabel('Verification code').fill(totpCodeAt({ secretBase32: secret }, harness.clock.now()));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Step 2 of 2: Create your recovery codes' }).waitFor();
  await expectAccessible(page, `${where}: secure your account, step 2`);
  await page.getByRole('button', { name: 'Create recovery codes' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes', exact: true }).waitFor();
  const codes = await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').allInnerTexts();
  expect(codes).toHaveLength(10);
  await expectAccessible(page, `${where}: secure your account, own codes`);
  await screenshot(page, `${where}-secure-account-codes`);
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  return codes;
}

it('Profile: the SPEC’s messages in the browser, a saved name, and a new email confirmed with its code', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne', lastName: 'Smith' });
  const page = await harness.newPage();
  const patches: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'PATCH') patches.push(request.url());
  });
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Anne' }).waitFor();
  await openSettings(page, 'Anne Smith');
  await expectAccessible(page, 'Settings');
  await screenshot(page, 'settings-page');

  const profile = section(page, 'Profile');
  await profile.getByLabel('First name').fill('J4ne');
  await profile.getByLabel('Last name').fill('');
  await profile.getByLabel('Email').fill('not-an-email');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByText(PROFILE_MESSAGES.firstName).waitFor();
  await profile.getByText(PROFILE_MESSAGES.lastName).waitFor();
  await profile.getByText(PROFILE_MESSAGES.email, { exact: true }).waitFor();
  // Refused in the browser by the shared schema: nothing was sent, and focus is on the first field.
  expect(patches).toEqual([]);
  expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("name") ?? null')).toBe('firstName');
  expect(await profile.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
  await expectAccessible(page, 'Profile with errors');
  await screenshot(page, 'settings-profile-errors');

  await profile.getByLabel('First name').fill('Anne-Marie');
  await profile.getByLabel('Last name').fill('O’Neil');
  await profile.getByLabel('Email').fill(`${customer.username}@example.test`);
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByText(PROFILE_MESSAGES.updated).waitFor();
  expect(await profile.getByText(PROFILE_MESSAGES.firstName).count()).toBe(0);
  await page.getByRole('button', { name: 'Anne-Marie O’Neil' }).waitFor();
  await screenshot(page, 'settings-profile-saved');

  // A new email: pending until the code sent to it is entered.
  await profile.getByLabel('Email').fill('anne.marie@example.test');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByRole('heading', { name: 'Confirm your new email' }).waitFor();
  await expect.poll(() => profile.innerText()).toMatch(/We sent a confirmation code to anne\.marie@example\.test/);
  await expectAccessible(page, 'email confirmation');
  await screenshot(page, 'settings-email-confirm');
  const sent = await harness.deps.db
    .selectFrom('notifications')
    .select(['kind', 'recipient', 'secret_ciphertext'])
    .where('user_id', '=', customer.id)
    .orderBy('created_at')
    .execute();
  expect(sent.map((row) => [row.kind, row.recipient])).toEqual(
    expect.arrayContaining([
      ['email_change_requested', `${customer.username}@example.test`],
      ['email_confirmation', 'anne.marie@example.test'],
    ]),
  );
  const code = decrypt(harness.deps.keys.get('notification-secret'), sent.find((row) => row.kind === 'email_confirmation')!.secret_ciphertext!);

  await profile.getByLabel('Confirmation code').fill(code === '000000' ? '111111' : '000000');
  await profile.getByRole('button', { name: 'Confirm email' }).click();
  await profile.getByText('That code is not valid.').waitFor();
  await profile.getByLabel('Confirmation code').fill(code);
  await profile.getByRole('button', { name: 'Confirm email' }).click();
  await profile.getByText('Your email address is now anne.marie@example.test.').waitFor();
  await expect.poll(() => profile.getByRole('heading', { name: 'Confirm your new email' }).count()).toBe(0);
  expect(await profile.getByLabel('Email').inputValue()).toBe('anne.marie@example.test');
  expect((await harness.deps.db.selectFrom('users').select('email').where('id', '=', customer.id).executeTakeFirstOrThrow()).email).toBe('anne.marie@example.test');
  expect(await page.locator('body').innerText()).not.toContain(code);
});

it('Password: the notice before submitting, the policy’s reason, then sign-in with a message on every device', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Pat', lastName: 'Changer' });
  const other = await harness.newPage();
  await signInThroughBrowser(harness, other, customer, '/');
  await other.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();

  const page = await harness.newPage({ width: 375 });
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();
  await openSettings(page, 'Pat Changer');
  const password = section(page, 'Password');
  await password.getByText(PASSWORD_CHANGE_NOTICE).waitFor();
  await password.scrollIntoViewIfNeeded();
  await screenshot(page, 'settings-password-375');

  await password.getByLabel('Current password').fill(customer.password);
  await password.getByLabel('New password').fill('Password123!');
  await password.getByRole('button', { name: 'Change password' }).click();
  await password.getByText(/^Enter a valid password\. This password is too common/).waitFor();
  await expectAccessible(page, 'Password with an error');

  await password.getByLabel('Current password').fill('not my password at all');
  await password.getByLabel('New password').fill('a quiet lighthouse on granite');
  await password.getByRole('button', { name: 'Change password' }).click();
  await password.getByText('Your current password is not correct.').waitFor();

  await password.getByLabel('Current password').fill(customer.password);
  await password.getByLabel('New password').fill('a quiet lighthouse on granite');
  await password.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Sign in to Digital Banking' }).waitFor();
  await page.getByText('Your password has been changed and you have been signed out everywhere. Sign in with your new password.').waitFor();
  await expectAccessible(page, 'sign-in after a password change');
  await screenshot(page, 'settings-password-changed-sign-in');

  // The other device is signed out too: its next request lands on sign-in.
  await other.reload();
  await other.getByRole('heading', { name: 'Sign in to Digital Banking' }).waitFor();
  // And the new password works.
  await signInThroughBrowser(harness, page, { ...customer, password: 'a quiet lighthouse on granite' }, '/');
  await page.getByRole('heading', { name: 'Welcome, Pat' }).waitFor();
});

it('Active sessions: lists them with this device marked, signs out one, then all others', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Sid', lastName: 'Sessions' });
  const phone = await harness.newPage();
  await signInThroughBrowser(harness, phone, customer, '/');
  await phone.getByRole('heading', { name: 'Welcome, Sid' }).waitFor();
  const tablet = await harness.newPage();
  await signInThroughBrowser(harness, tablet, customer, '/');
  await tablet.getByRole('heading', { name: 'Welcome, Sid' }).waitFor();
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, customer, '/');
  await page.getByRole('heading', { name: 'Welcome, Sid' }).waitFor();
  await openSettings(page, 'Sid Sessions');

  const sessions = section(page, 'Active sessions');
  const items = sessions.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
  await expect.poll(() => items.count()).toBe(3);
  expect(await items.first().innerText()).toMatch(/Chrome on Linux\s*This device/);
  expect(await items.first().getByRole('button').count()).toBe(0);
  await sessions.scrollIntoViewIfNeeded();
  await expectAccessible(page, 'Active sessions');
  await screenshot(page, 'settings-sessions');

  await items.nth(1).getByRole('button', { name: /^Sign out Chrome on Linux/ }).click();
  await sessions.getByText('Signed out of Chrome on Linux.').waitFor();
  await expect.poll(() => items.count()).toBe(2);
  // Exactly one of the two other pages is now signed out.
  await phone.reload();
  await tablet.reload();
  const signedOut = async (other: Page) => (await other.getByRole('heading', { name: 'Sign in to Digital Banking' }).count()) === 1;
  await expect.poll(async () => [await signedOut(phone), await signedOut(tablet)].filter(Boolean).length).toBe(1);

  await sessions.getByRole('button', { name: 'Sign out of all other sessions' }).click();
  await sessions.getByText('Signed out of 1 other session.').waitFor();
  await expect.poll(() => items.count()).toBe(1);
  await sessions.getByText('You are not signed in anywhere else.').waitFor();
  for (const other of [phone, tablet]) {
    await other.reload();
    await other.getByRole('heading', { name: 'Sign in to Digital Banking' }).waitFor();
  }
  await screenshot(page, 'settings-sessions-others-ended');
});

it('after a sign-in with a staff-issued code, Digital Banking shows the unskippable step until the account is secured', async () => {
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Lena', lastName: 'Locked' });
  const [code] = await staffIssuedCodes(customer);
  const page = await harness.newPage();
  await signInWithBackupCode(page, customer, code!, '/');
  await page.getByRole('heading', { name: 'Secure your account', level: 1 }).waitFor();
  // Nothing of the app around it: no Settings, no home, no way past it but the two steps.
  expect(await page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
  await page.goto('/settings');
  await page.getByRole('heading', { name: 'Secure your account', level: 1 }).waitFor();
  expect(await page.getByRole('heading', { name: 'Settings' }).count()).toBe(0);

  // Once secured, the page asked for (Settings) opens, and stays open after a reload.
  await secureAccount(page, 'banking');
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  expect(await page.getByRole('heading', { name: 'Secure your account' }).count()).toBe(0);
  await expect.poll(() => page.locator('main').innerText()).toMatch(/10 backup codes remaining/);
  await expect.poll(() => page.locator('main').innerText()).toMatch(/Your own recovery codes/);
});

it('the Admin Platform shows the same step to a staff member who signed in with a staff-issued code', async () => {
  const staffer = await addUser(harness, { kind: 'staff', firstName: 'Omar', lastName: 'Operator', permissions: ['users.view'] });
  const [code] = await staffIssuedCodes(staffer, { issuerIsAdmin: true });
  const page = await harness.newPage();
  await signInWithBackupCode(page, staffer, code!, '/admin');
  await secureAccount(page, 'admin');
  await page.getByRole('heading', { name: 'Manage Users', level: 1 }).waitFor();
});

it('the Admin Platform has Settings in the user menu: profile, password, two-factor and sessions', async () => {
  const staff = await addUser(harness, { kind: 'staff', firstName: 'Sara', lastName: 'Staff', permissions: ['users.view'] });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, staff, '/admin');
  await page.getByRole('heading', { name: 'Manage Users', level: 1 }).waitFor();
  await openSettings(page, 'Sara Staff');
  expect(new URL(page.url()).pathname).toBe('/admin/settings');
  for (const name of ['Profile', 'Password', 'Two-Factor Authentication', 'Active sessions']) await section(page, name).waitFor();
  await section(page, 'Active sessions').getByRole('listitem').first().waitFor();
  await expectAccessible(page, 'Admin Platform Settings');
  await screenshot(page, 'admin-settings');

  const profile = section(page, 'Profile');
  await profile.getByLabel('First name').fill('S');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByText(PROFILE_MESSAGES.firstName).waitFor();
  await profile.getByLabel('First name').fill('Sára');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByText(PROFILE_MESSAGES.updated).waitFor();
  await page.getByRole('button', { name: 'Sára Staff' }).waitFor();
});
