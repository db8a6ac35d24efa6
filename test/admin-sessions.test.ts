// Staff sign a user out everywhere (ASVS 5.0 7.4.5) through
// `DELETE /api/admin/users/{id}/sessions`: who may do it to whom, the step-up, the audit trail;
// and every permission refusal of the Admin Platform is in the audit log (ASVS 5.0 16.3.2).
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

const CHANGE = 'users.change';
const VIEW = 'users.view';

describeEachEngine('signing a user out everywhere', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const endSessions = (client: Client, targetId: string) => client.delete(`/api/admin/users/${targetId}/sessions`);
  const sessionsOf = (userId: string) => harness.deps.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute();
  const auditEvents = (type: string) =>
    harness.deps.db.selectFrom('audit_events').selectAll().where('type', '=', type).orderBy('id').execute();

  function expectError(reply: LightMyRequestResponse, status: number, code: string): void {
    expect({ status: reply.statusCode, code: reply.json()?.error?.code }).toEqual({ status, code });
  }

  /** A signed-in session and a pending one (password only) of the same customer. */
  async function customerWithTwoSessions(): Promise<{ customer: TestUser; signedIn: Client; pending: Client }> {
    const customer = await addUser(harness, { kind: 'customer' });
    const signedIn = await signIn(harness, customer, 'banking');
    const pending = harness.client();
    expect((await pending.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
    return { customer, signedIn, pending };
  }

  it('ends every session of the user, pending ones included; both are refused next; audited', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [CHANGE, VIEW] });
    const { customer, signedIn, pending } = await customerWithTwoSessions();
    const admin = await signIn(harness, staff, 'admin');
    expect((await admin.get(`/api/admin/users/${customer.id}`)).json().can).toMatchObject({ endSessions: true });

    const ended = await endSessions(admin, customer.id);
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toEqual({ ended: 2 });
    expect(await sessionsOf(customer.id)).toEqual([]);
    expectError(await signedIn.get('/api/banking/me'), 401, 'unauthenticated');
    expectError(await pending.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) }), 401, 'unauthenticated');
    // The staff member's own session is untouched.
    expect((await admin.get('/api/admin/me')).statusCode).toBe(200);

    const [event] = await auditEvents('sessions.ended_by_staff');
    expect(event).toMatchObject({ actor_id: staff.id, target_id: customer.id, outcome: 'success', details: { ended: 2 } });
  });

  it('is refused without users.change, on staff unless Admin-level, and on oneself; each refusal audited, nothing ended', async () => {
    const viewer = await addUser(harness, { kind: 'staff', permissions: [VIEW, 'users.generate_lockout_codes', 'audit.view', 'staff.manage'] });
    const changer = await addUser(harness, { kind: 'staff', permissions: [CHANGE, VIEW] });
    const admin = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: [CHANGE, VIEW] });
    const { customer } = await customerWithTwoSessions();
    const colleague = await addUser(harness, { kind: 'staff' });
    await signIn(harness, colleague, 'admin');

    const viewerClient = await signIn(harness, viewer, 'admin');
    expect((await viewerClient.get(`/api/admin/users/${customer.id}`)).json().can).toMatchObject({ endSessions: false });
    expectError(await endSessions(viewerClient, customer.id), 403, 'forbidden');

    const changerClient = await signIn(harness, changer, 'admin');
    expect((await changerClient.get(`/api/admin/users/${colleague.id}`)).json().can).toMatchObject({ endSessions: false });
    expectError(await endSessions(changerClient, colleague.id), 403, 'forbidden');
    expectError(await endSessions(changerClient, changer.id), 403, 'forbidden');

    const adminClient = await signIn(harness, admin, 'admin');
    expectError(await endSessions(adminClient, admin.id), 403, 'forbidden');
    expect((await sessionsOf(customer.id)).length).toBe(2);
    expect((await sessionsOf(colleague.id)).length).toBe(1);

    const refusals = await auditEvents('sessions.ending_refused');
    expect(refusals.map((event) => [event.actor_id, (event.details as { reason: string }).reason])).toEqual([
      [viewer.id, 'missing_permission'],
      [changer.id, 'staff_target_needs_admin'],
      [changer.id, 'self'],
      [admin.id, 'self'],
    ]);

    // Admin-level staff may sign a colleague out.
    expect((await adminClient.get(`/api/admin/users/${colleague.id}`)).json().can).toMatchObject({ endSessions: true });
    expect((await endSessions(adminClient, colleague.id)).json()).toEqual({ ended: 1 });
  });

  it('needs a recent second factor, a known user and a well-formed id; a customer session opens nothing', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [CHANGE, VIEW] });
    const { customer, signedIn } = await customerWithTwoSessions();
    const admin = await signIn(harness, staff, 'admin');

    expectError(await endSessions(admin, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await endSessions(admin, 'not-a-uuid'), 400, 'validation_failed');
    expectError(await endSessions(signedIn, customer.id), 401, 'unauthenticated');

    // Kept alive (idle time-out 900 s) while the last second factor grows older than 900 s.
    harness.clock.advance(600);
    expect((await admin.get('/api/admin/me')).statusCode).toBe(200);
    harness.clock.advance(400);
    expectError(await endSessions(admin, customer.id), 401, 'reauthentication_required');
    expect((await sessionsOf(customer.id)).length).toBe(2);
    harness.clock.advance(30);
    expect((await admin.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) })).statusCode).toBe(204);
    expect((await endSessions(admin, customer.id)).statusCode).toBe(200);
  });

  it('writes access.denied for every permission refusal of the Admin Platform', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    expectError(await admin.get('/api/admin/users?q=a'), 403, 'forbidden');
    expectError(await admin.get(`/api/admin/users/${customer.id}`), 403, 'forbidden');
    expectError(await admin.get('/api/admin/audit'), 403, 'forbidden');
    const denied = await auditEvents('access.denied');
    expect(denied.map((event) => ({ actor: event.actor_id, outcome: event.outcome, details: event.details }))).toEqual([
      { actor: staff.id, outcome: 'failure', details: { permission: VIEW, route: 'GET /api/admin/users' } },
      { actor: staff.id, outcome: 'failure', details: { permission: VIEW, route: 'GET /api/admin/users/:id' } },
      { actor: staff.id, outcome: 'failure', details: { permission: 'audit.view', route: 'GET /api/admin/audit' } },
    ]);
  });
});
