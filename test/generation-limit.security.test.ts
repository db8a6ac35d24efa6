// A staff member may generate at most N backup-code sets an hour (STAFF_BACKUP_CODE_SETS_PER_HOUR);
// past that the server answers 429 with Retry-After and writes an alert to the audit log.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, addUser, defaultPolicy, signIn, startHarness } from '../src/testing/harness.js';

describeEachEngine('the hourly cap on backup-code generation', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine, { policy: { backupCodes: { ...defaultPolicy.backupCodes, maxSetsPerStaffPerHour: 3 } } });
  });
  afterEach(async () => harness.close());

  it('refuses the set past the cap with 429 and Retry-After, alerts, and allows again an hour later', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
    const customers = await Promise.all([1, 2, 3, 4].map(() => addUser(harness, { kind: 'customer' })));
    const admin = await signIn(harness, staff, 'admin');
    const generate = (index: number) => admin.post(`/api/admin/users/${customers[index]!.id}/backup-codes`, {});

    for (const index of [0, 1, 2]) {
      expect((await generate(index)).statusCode).toBe(201);
      harness.clock.advance(60);
    }
    const refused = await generate(3);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('too_many_attempts');
    // The first set of the hour was made 3 minutes ago: it ages out in 57 minutes.
    expect(Number(refused.headers['retry-after'])).toBe(3600 - 180);
    const sets = await harness.deps.db.selectFrom('backup_code_sets').select('user_id').where('user_id', '=', customers[3]!.id).execute();
    expect(sets).toEqual([]);
    const alerts = await harness.deps.db
      .selectFrom('audit_events')
      .select(['actor_id', 'target_id', 'outcome', 'details'])
      .where('type', '=', 'backup_codes.generation_limited')
      .execute();
    expect(alerts).toEqual([{ actor_id: staff.id, target_id: customers[3]!.id, outcome: 'failure', details: { maxSetsPerHour: 3, alert: true } }]);

    // The cap is per staff member: a colleague is not held back.
    const colleague = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes'] });
    const other = await signIn(harness, colleague, 'admin');
    expect((await other.post(`/api/admin/users/${customers[3]!.id}/backup-codes`, {})).statusCode).toBe(201);

    // Once the first set of the hour is older than an hour, one more is allowed (after a fresh sign-in).
    harness.clock.advance(3600 - 180 + 1);
    const later = await signIn(harness, staff, 'admin');
    expect((await later.post(`/api/admin/users/${customers[3]!.id}/backup-codes`, {})).statusCode).toBe(201);
  });

  it('concurrent requests never get past the cap', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes'] });
    const customers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => addUser(harness, { kind: 'customer' })));
    const admin = await signIn(harness, staff, 'admin');
    const replies = await Promise.all(customers.map((customer) => admin.post(`/api/admin/users/${customer.id}/backup-codes`, {})));
    expect(replies.filter((reply) => reply.statusCode === 201)).toHaveLength(3);
    expect(replies.filter((reply) => reply.statusCode === 429)).toHaveLength(3);
    const sets = await harness.deps.db.selectFrom('backup_code_sets').select('id').where('issued_by', '=', staff.id).execute();
    expect(sets).toHaveLength(3);
  });
});
