// SPEC §2's seed flow over HTTP, on both engines.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

describeEachEngine('the seed flow', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('staff generates codes; the customer signs in with one, once', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
    const customer = await addUser(harness, { kind: 'customer', firstName: 'Alice', lastName: 'Martin' });

    // The staff member signs in with password and TOTP.
    const admin = harness.client();
    const login = await admin.post('/api/admin/login', { username: staff.username, password: staff.password });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ status: 'second_factor_required', factors: [{ id: staff.totpFactorId, type: 'totp', label: 'Authenticator app' }] });
    const pendingCookie = admin.cookie('latchkey_admin');
    const verified = await admin.post('/api/admin/login/verify', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().status).toBe('signed_in');
    expect(admin.cookie('latchkey_admin')).not.toBe(pendingCookie);

    // Manage Users → finds the customer by name.
    const search = await admin.get('/api/admin/users?q=alice%20mar&kind=customer');
    expect(search.statusCode).toBe(200);
    const found = search.json().items;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ id: customer.id, firstName: 'Alice', lastName: 'Martin' });

    const detail = await admin.get(`/api/admin/users/${customer.id}`);
    expect(detail.json().can).toEqual({ generateBackupCodes: true, endSessions: false });

    // Generate Backup Codes → 10 codes in XXXX-XXXX-XXXX-XXXX form.
    const generated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'Verified by phone, ticket 4711' });
    expect(generated.statusCode).toBe(201);
    expect(generated.headers['cache-control']).toBe('no-store');
    const { codes, expiresAt } = generated.json() as { codes: string[]; expiresAt: string };
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(codes).size).toBe(10);
    expect(new Date(expiresAt).getTime()).toBe(harness.clock.now().getTime() + 7 * 24 * 3600 * 1000);

    // The customer signs in with their password and is offered "Backup codes".
    const useCode = async (code: string) => {
      const customerClient = harness.client();
      const customerLogin = await customerClient.post('/api/banking/login', { username: customer.username, password: customer.password });
      expect(customerLogin.statusCode).toBe(200);
      const factors = customerLogin.json().factors as { id: string; type: string; label: string }[];
      const backup = factors.find((factor) => factor.label === 'Backup codes');
      expect(backup).toEqual({ id: 'backup_codes', type: 'backup_codes', label: 'Backup codes' });
      return { client: customerClient, reply: await customerClient.post('/api/banking/login/verify', { factorId: backup?.id, code }) };
    };
    const first = codes[0]!.replaceAll('-', '').toLowerCase();
    const signedIn = await useCode(first);
    expect(signedIn.reply.statusCode).toBe(200);
    expect(signedIn.reply.json()).toMatchObject({ status: 'signed_in', user: { id: customer.id, kind: 'customer' } });
    const me = await signedIn.client.get('/api/banking/me');
    expect(me.statusCode).toBe(200);
    const status = await signedIn.client.get('/api/banking/me/two-factor');
    expect(status.json().backupCodes).toMatchObject({ remaining: 9, origin: 'staff' });

    // The same code again is refused; another code works.
    const again = await useCode(first);
    expect(again.reply.statusCode).toBe(401);
    expect(again.reply.json().error.code).toBe('invalid_code');
    const second = await useCode(codes[1]!);
    expect(second.reply.statusCode).toBe(200);
    expect(second.reply.json().status).toBe('signed_in');
  });

  it('a pending session gets 401 from everything but the second-factor step', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    for (const url of ['/api/banking/me', '/api/banking/me/two-factor']) {
      const reply = await client.get(url);
      expect(reply.statusCode).toBe(401);
      expect(reply.json().error.code).toBe('unauthenticated');
    }
    expect((await client.post('/api/banking/me/backup-codes')).statusCode).toBe(401);
    expect((await client.post('/api/banking/me/two-factor/totp')).statusCode).toBe(401);
    const signedIn = await signIn(harness, customer, 'banking');
    expect((await signedIn.get('/api/banking/me')).statusCode).toBe(200);
  });
});
