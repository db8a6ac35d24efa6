// Renaming a two-factor device (issue #4): one's own confirmed devices only, behind a recent
// second factor, with a plain label.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, addUser, signIn, startHarness } from '../src/testing/harness.js';

describeEachEngine('renaming a device', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('renames one’s own device and says so in the audit log', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const renamed = await client.request('PATCH', `/api/banking/me/two-factor/factors/${customer.totpFactorId}`, { label: '  Work phone ' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toEqual({ id: customer.totpFactorId, label: 'Work phone' });
    const status = await client.get('/api/banking/me/two-factor');
    expect(status.json().factors.map((factor: { label: string }) => factor.label)).toEqual(['Work phone']);
    const events = await harness.deps.db.selectFrom('audit_events').select(['type', 'actor_id']).where('type', '=', 'factor.renamed').execute();
    expect(events).toEqual([{ type: 'factor.renamed', actor_id: customer.id }]);
  });

  it('refuses another user’s device, bad labels, a stale second factor and a pending session', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const other = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const rename = (factorId: string | null, label: unknown) => client.request('PATCH', `/api/banking/me/two-factor/factors/${factorId}`, { label });

    expect((await rename(other.totpFactorId, 'Mine now')).statusCode).toBe(404);
    for (const label of ['', '   ', 'x'.repeat(51), '<script>alert(1)</script>', 'tab\there']) {
      const reply = await rename(customer.totpFactorId, label);
      expect(reply.statusCode).toBe(400);
      expect(reply.json().error.code).toBe('validation_failed');
    }
    expect((await client.request('PATCH', `/api/banking/me/two-factor/factors/${customer.totpFactorId}`, { label: 'Ok', extra: true })).statusCode).toBe(400);

    harness.clock.advance(600);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    harness.clock.advance(400);
    const stale = await rename(customer.totpFactorId, 'Later');
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('reauthentication_required');

    const pending = harness.client();
    await pending.post('/api/banking/login', { username: customer.username, password: customer.password });
    const refused = await pending.request('PATCH', `/api/banking/me/two-factor/factors/${customer.totpFactorId}`, { label: 'Sneaky' });
    expect(refused.statusCode).toBe(401);
    const labels = await harness.deps.db.selectFrom('factors').select('label').where('user_id', '=', customer.id).execute();
    expect(labels).toEqual([{ label: 'Authenticator app' }]);
  });
});
