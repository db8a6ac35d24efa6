// The Admin Platform shows the Generate Backup Codes button exactly where the server would
// allow it, and asks for the staff member's own second factor when the step-up has lapsed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser, currentTotp } from '../../src/testing/harness.js';
import { type BrowserHarness, expectAccessible, screenshot, signInThroughBrowser, startBrowserHarness } from './browser.js';

let harness: BrowserHarness;
beforeAll(async () => {
  harness = await startBrowserHarness();
});
afterAll(async () => harness?.close());

async function openUserPage(page: import('playwright-core').Page, name: string) {
  await page.getByRole('navigation').getByRole('link', { name: 'Manage Users' }).click();
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
}

it('a staff member without the permission sees no Generate Backup Codes button', async () => {
  const viewer = await addUser(harness, { kind: 'staff', permissions: ['users.view'] });
  await addUser(harness, { kind: 'customer', firstName: 'Carla', lastName: 'Customer' });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, viewer, '/admin');
  await openUserPage(page, 'Carla Customer');
  expect(await page.getByRole('button', { name: 'Generate Backup Codes' }).count()).toBe(0);
  await screenshot(page, 'admin-no-permission');
});

it('a non-admin staff member with the permission sees the button for customers but not for staff', async () => {
  const helpdesk = await addUser(harness, { kind: 'staff', permissions: ['users.view', 'users.generate_lockout_codes'] });
  await addUser(harness, { kind: 'staff', firstName: 'Sam', lastName: 'Colleague' });
  await addUser(harness, { kind: 'customer', firstName: 'Dora', lastName: 'Customer' });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, helpdesk, '/admin');
  await openUserPage(page, 'Sam Colleague');
  expect(await page.getByRole('button', { name: 'Generate Backup Codes' }).count()).toBe(0);
  await screenshot(page, 'admin-staff-target-no-button');
  await openUserPage(page, 'Dora Customer');
  expect(await page.getByRole('button', { name: 'Generate Backup Codes' }).count()).toBe(1);
});

it('asks for the staff member’s own second factor when the step-up window has passed, then generates', async () => {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view', 'users.generate_lockout_codes', 'audit.view'] });
  await addUser(harness, { kind: 'customer', firstName: 'Erin', lastName: 'Locked' });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, staff, '/admin');
  await openUserPage(page, 'Erin Locked');
  // 16 minutes since the second factor, but never 15 idle: the session lives, the step-up lapses.
  harness.clock.advance(600);
  await page.reload();
  await page.getByRole('heading', { name: 'Two-Factor Authentication' }).waitFor();
  harness.clock.advance(400);
  await page.getByRole('button', { name: 'Generate Backup Codes' }).click();
  await page.getByRole('alertdialog', { name: 'Generate Backup Codes' }).getByRole('button', { name: 'Generate Backup Codes' }).click();
  const reauth = page.getByRole('dialog', { name: 'Confirm it’s you' });
  await reauth.waitFor();
  await expectAccessible(page, 're-authentication dialog');
  await screenshot(page, 'admin-reauthenticate');
  harness.clock.advance(30);
  await reauth.getByLabel('Verification code').fill(currentTotp(harness, staff));
  await reauth.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Backup codes for Erin Locked' }).waitFor();
  expect(await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').count()).toBe(10);
  await page.getByRole('button', { name: 'Done' }).click();

  await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  await expect.poll(() => page.locator('main').innerText()).toMatch(/Backup codes generated/);
  await expectAccessible(page, 'audit log');
  await screenshot(page, 'admin-audit-log');
});

it('a session that times out, or is signed out, returns to sign-in with a message', async () => {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view'] });
  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, staff, '/admin');
  await page.getByRole('heading', { name: 'Manage Users', level: 1 }).waitFor();
  harness.clock.advance(901);
  await page.getByLabel('Search users').fill('someone');
  await page.getByLabel('Search users').press('Enter');
  await page.getByText('Your session has ended').waitFor();
  await page.getByRole('heading', { name: 'Sign in to Admin Platform' }).waitFor();
  await expectAccessible(page, 'sign-in after a time-out');
  await screenshot(page, 'admin-session-ended');

  await signInThroughBrowser(harness, page, staff, '/admin');
  await page.getByRole('button', { name: /^Test / }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have been signed out.').waitFor();
});

it('signs a user out everywhere after a confirmation, only for staff with users.change', async () => {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view', 'users.change'] });
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Fay', lastName: 'Stolen' });
  // The customer is signed in somewhere (an API client standing in for their phone).
  const phone = harness.client();
  expect((await phone.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
  harness.clock.advance(30);
  expect((await phone.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(200);

  const page = await harness.newPage();
  await signInThroughBrowser(harness, page, staff, '/admin');
  await openUserPage(page, 'Fay Stolen');
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Sign out everywhere' });
  await confirm.waitFor();
  await expectAccessible(page, 'sign out everywhere confirmation');
  await screenshot(page, 'admin-sign-out-everywhere');
  await confirm.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByText('Fay Stolen was signed out of 1 session.').waitFor();
  expect((await phone.get('/api/banking/me')).statusCode).toBe(401);

  const viewer = await addUser(harness, { kind: 'staff', permissions: ['users.view'] });
  const other = await harness.newPage();
  await signInThroughBrowser(harness, other, viewer, '/admin');
  await openUserPage(other, 'Fay Stolen');
  expect(await other.getByRole('button', { name: 'Sign out everywhere' }).count()).toBe(0);
});
