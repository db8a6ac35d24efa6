// Passkeys (SPEC §3, §4, §7; WebAuthn Level 3) over HTTP, on both engines, driven by a
// software authenticator: registration checked against the session's challenge and this
// server's origin, sign-in and step-up through the one second-factor path, single-use
// challenges, the signature counter, throttling, and nothing secret in logs.
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, TEST_ORIGIN, type TestUser, addUser, signIn, startHarness } from '../src/testing/harness.js';
import { type SoftwareAuthenticator, softwareAuthenticator, strangerKey } from '../src/testing/software-authenticator.js';

const RP_ID = new URL(TEST_ORIGIN).hostname;

function expectError(reply: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: reply.statusCode, code: reply.json().error?.code }).toEqual({ status, code });
}

describeEachEngine('passkeys', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine, { policy: { throttle: { maxSecondFactorFailures: 4, lockoutInSeconds: 1800 } } });
  });
  afterEach(async () => harness.close());

  const auditTypes = async (userId: string) =>
    (await harness.deps.db.selectFrom('audit_events').select(['type', 'outcome', 'details']).where('target_id', '=', userId).orderBy('id').execute()).map(
      (row) => ({ type: row.type, outcome: row.outcome, details: row.details as Record<string, unknown> }),
    );
  const failuresOf = async (userId: string) =>
    (await harness.deps.db.selectFrom('users').select('second_factor_failures').where('id', '=', userId).executeTakeFirstOrThrow()).second_factor_failures;
  const webauthnFactors = (userId: string) =>
    harness.deps.db.selectFrom('factors').selectAll().where('user_id', '=', userId).where('type', '=', 'webauthn').execute();

  /** Options from the server, then the authenticator's answer, posted back. */
  const registerPasskey = async (client: Client, authenticator: SoftwareAuthenticator, surface: 'banking' | 'admin' = 'banking', label?: string) => {
    const options = await client.post(`/api/${surface}/me/two-factor/passkeys/options`);
    expect(options.statusCode).toBe(200);
    const response = authenticator.register({ challenge: options.json().challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    return client.post(`/api/${surface}/me/two-factor/passkeys`, label === undefined ? { response } : { response, label });
  };

  /** A signed-in customer (TOTP) who has added a passkey. */
  const customerWithPasskey = async (authenticator = softwareAuthenticator()) => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const added = await registerPasskey(client, authenticator);
    expect(added.statusCode).toBe(201);
    return { customer, client, authenticator, factorId: added.json().factorId as string };
  };

  const passwordStep = async (user: TestUser) => {
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: user.username, password: user.password });
    expect(login.statusCode).toBe(200);
    return { client, factors: login.json().factors as { id: string; type: string; label: string }[] };
  };

  const challengeFor = async (client: Client, path: '/api/banking/login/challenge' | '/api/banking/reauthenticate/challenge', factorId: string) => {
    const reply = await client.post(path, { factorId });
    expect(reply.statusCode).toBe(200);
    return reply.json().webauthn as { challenge: string; rpId: string; allowCredentials: { id: string; type: string }[]; userVerification: string };
  };

  it('adds a passkey as a confirmed factor, audited and notified, and excludes it from the next registration', async () => {
    const customer = await addUser(harness, { kind: 'customer', firstName: 'Pia', lastName: 'Key' });
    const client = await signIn(harness, customer, 'banking');
    const options = await client.post('/api/banking/me/two-factor/passkeys/options');
    expect(options.statusCode).toBe(200);
    expect(options.headers['cache-control']).toBe('no-store');
    const body = options.json();
    expect(body.rp).toEqual({ id: RP_ID, name: 'Digital Banking' });
    expect(body.user.name).toBe(customer.username);
    expect(body.user.displayName).toBe('Pia Key');
    // The user handle is the user's random id, never a name or address.
    expect(Buffer.from(body.user.id, 'base64url').toString('hex')).toBe(customer.id.replaceAll('-', ''));
    expect(body.authenticatorSelection).toMatchObject({ userVerification: 'preferred' });
    expect(body.attestation).toBe('none');
    expect(body.excludeCredentials).toEqual([]);

    const authenticator = softwareAuthenticator();
    const response = authenticator.register({ challenge: body.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    const added = await client.post('/api/banking/me/two-factor/passkeys', { response, label: 'Work laptop' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual({ factorId: expect.any(String), status: 'confirmed' });
    const factorId = added.json().factorId;

    const status = await client.get('/api/banking/me/two-factor');
    expect(status.json().factors.map((factor: { type: string; label: string }) => [factor.type, factor.label])).toEqual([
      ['totp', 'Authenticator app'],
      ['webauthn', 'Work laptop'],
    ]);
    expect(status.body).not.toContain(authenticator.credentialId);
    const [row] = await webauthnFactors(customer.id);
    expect(row).toMatchObject({ id: factorId, credential_id: authenticator.credentialId, secret_ciphertext: null, transports: ['internal'] });
    expect(row!.confirmed_at).not.toBeNull();
    expect(Number(row!.sign_count)).toBe(0);

    const audit = await auditTypes(customer.id);
    expect(audit.filter((event) => event.type === 'factor.passkey_added')).toEqual([{ type: 'factor.passkey_added', outcome: 'success', details: { factorId } }]);
    const notices = await harness.deps.db.selectFrom('notifications').select(['kind', 'payload']).where('user_id', '=', customer.id).execute();
    expect(notices).toContainEqual({ kind: 'factor_added', payload: { factorLabel: 'Work laptop' } });

    const again = await client.post('/api/banking/me/two-factor/passkeys/options');
    expect(again.json().excludeCredentials).toEqual([{ id: authenticator.credentialId, type: 'public-key', transports: ['internal'] }]);
  });

  it('labels a passkey "Passkey" unless told otherwise', async () => {
    const { customer } = await customerWithPasskey();
    expect((await webauthnFactors(customer.id)).map((row) => row.label)).toEqual(['Passkey']);
  });

  it('refuses a registration for another challenge, another origin or another RP ID, and each challenge answers once', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const authenticator = softwareAuthenticator();

    const options = await client.post('/api/banking/me/two-factor/passkeys/options');
    const foreignChallenge = Buffer.alloc(32, 7).toString('base64url');
    const wrongChallenge = await client.post('/api/banking/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: foreignChallenge, rpId: RP_ID, origin: TEST_ORIGIN }),
    });
    expectError(wrongChallenge, 400, 'validation_failed');

    const wrongOrigin = await client.post('/api/banking/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: options.json().challenge, rpId: RP_ID, origin: 'https://evil.example' }),
    });
    expectError(wrongOrigin, 400, 'validation_failed');
    // That challenge is used up, even by a refusal: the right answer to it now fails too.
    const late = await client.post('/api/banking/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: options.json().challenge, rpId: RP_ID, origin: TEST_ORIGIN }),
    });
    expectError(late, 400, 'validation_failed');

    const next = await client.post('/api/banking/me/two-factor/passkeys/options');
    const wrongRpId = await client.post('/api/banking/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: next.json().challenge, rpId: 'evil.example', origin: TEST_ORIGIN }),
    });
    expectError(wrongRpId, 400, 'validation_failed');

    const expired = await client.post('/api/banking/me/two-factor/passkeys/options');
    harness.clock.advance(301);
    const tooLate = await client.post('/api/banking/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: expired.json().challenge, rpId: RP_ID, origin: TEST_ORIGIN }),
    });
    expectError(tooLate, 400, 'validation_failed');

    expect(await webauthnFactors(customer.id)).toEqual([]);
    const refusals = (await auditTypes(customer.id)).filter((event) => event.type === 'factor.passkey_refused');
    expect(refusals.map((event) => [event.outcome, event.details.reason])).toEqual([
      ['failure', 'no_matching_challenge'],
      ['failure', 'not_verified'],
      ['failure', 'no_matching_challenge'],
      ['failure', 'not_verified'],
      ['failure', 'no_matching_challenge'],
    ]);
  });

  it('refuses a malformed registration body with 400 and stores nothing', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    await client.post('/api/banking/me/two-factor/passkeys/options');
    for (const body of [{}, { response: {} }, { response: { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '%%%', attestationObject: 'AA' }, clientExtensionResults: {} } }]) {
      const reply = await client.post('/api/banking/me/two-factor/passkeys', body);
      expect(reply.statusCode).toBe(400);
    }
    const garbage = await client.post('/api/banking/me/two-factor/passkeys', {
      response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AAAA' }, clientExtensionResults: {} },
    });
    expectError(garbage, 400, 'validation_failed');
    expect(await webauthnFactors(customer.id)).toEqual([]);
  });

  it('needs a recent second factor to add a passkey', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    // 16 minutes since the second factor, with a request in between so the session stays alive.
    harness.clock.advance(10 * 60);
    await client.get('/api/banking/me');
    harness.clock.advance(6 * 60);
    expectError(await client.post('/api/banking/me/two-factor/passkeys/options'), 401, 'reauthentication_required');
    expectError(await client.post('/api/banking/me/two-factor/passkeys', { response: softwareAuthenticator().register({ challenge: 'A'.repeat(43), rpId: RP_ID, origin: TEST_ORIGIN }) }), 401, 'reauthentication_required');
    const pending = harness.client();
    await pending.post('/api/banking/login', { username: customer.username, password: customer.password });
    expectError(await pending.post('/api/banking/me/two-factor/passkeys/options'), 401, 'unauthenticated');
  });

  it('signs in a user enrolling a first factor with the passkey they add, under a new token', async () => {
    const customer = await addUser(harness, { kind: 'customer', withTotp: false });
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    expect(login.json()).toEqual({ status: 'enrollment_required' });
    const enrolling = client.cookie('latchkey_banking');
    expectError(await client.get('/api/banking/me'), 401, 'unauthenticated');

    const added = await registerPasskey(client, softwareAuthenticator());
    expect(added.statusCode).toBe(201);
    expect(added.json().status).toBe('signed_in');
    expect(client.cookie('latchkey_banking')).not.toBe(enrolling);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
  });

  it('refuses the same credential registered again, by anyone', async () => {
    const { authenticator } = await customerWithPasskey();
    const other = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, other, 'banking');
    expectError(await registerPasskey(client, authenticator), 409, 'conflict');
    expect(await webauthnFactors(other.id)).toEqual([]);
  });

  it('signs in with password and passkey: the device list offers it, the challenge names it, the token rotates', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client, factors } = await passwordStep(customer);
    expect(factors).toContainEqual({ id: factorId, type: 'webauthn', label: 'Passkey' });
    // Other factors still need no challenge.
    expect((await client.post('/api/banking/login/challenge', { factorId: customer.totpFactorId })).statusCode).toBe(204);
    expectError(await client.post('/api/banking/login/challenge', { factorId: '00000000-0000-4000-8000-000000000000' }), 404, 'not_found');

    const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
    expect(options.rpId).toBe(RP_ID);
    expect(options.allowCredentials).toEqual([{ id: authenticator.credentialId, type: 'public-key', transports: ['internal'] }]);
    expect(options.userVerification).toBe('preferred');
    const pendingToken = client.cookie('latchkey_banking');

    const credential = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    const verified = await client.post('/api/banking/login/verify', { factorId, credential });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({ status: 'signed_in', user: { id: customer.id } });
    expect(client.cookie('latchkey_banking')).not.toBe(pendingToken);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);

    const [row] = await webauthnFactors(customer.id);
    expect(Number(row!.sign_count)).toBe(1);
    const signedIn = (await auditTypes(customer.id)).filter((event) => event.type === 'sign_in.succeeded').at(-1);
    expect(signedIn?.details).toMatchObject({ factor: 'webauthn' });
  });

  it('refuses a replayed assertion: the challenge it answers is used up', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client } = await passwordStep(customer);
    const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const credential = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    expect((await client.post('/api/banking/login/verify', { factorId, credential })).statusCode).toBe(200);

    // The same assertion in another pending session, which has a challenge of its own.
    const { client: attacker } = await passwordStep(customer);
    await challengeFor(attacker, '/api/banking/login/challenge', factorId);
    expectError(await attacker.post('/api/banking/login/verify', { factorId, credential }), 401, 'invalid_code');
    // And in a step-up of the session it signed in.
    await challengeFor(client, '/api/banking/reauthenticate/challenge', factorId);
    expectError(await client.post('/api/banking/reauthenticate', { factorId, credential }), 401, 'invalid_code');
    expect(await failuresOf(customer.id)).toBe(2);
  });

  it('counts an assertion with a wrong signature as a failed attempt, and its challenge is spent', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client } = await passwordStep(customer);
    const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const forged = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN, signWith: strangerKey() });
    expectError(await client.post('/api/banking/login/verify', { factorId, credential: forged }), 401, 'invalid_code');
    expect(await failuresOf(customer.id)).toBe(1);
    const failed = (await auditTypes(customer.id)).filter((event) => event.type === 'second_factor.failed');
    expect(failed.map((event) => event.details)).toEqual([{ purpose: 'sign_in', factor: 'webauthn', consecutiveFailures: 1 }]);

    // A genuine answer to that same challenge comes too late.
    const genuine = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    expectError(await client.post('/api/banking/login/verify', { factorId, credential: genuine }), 401, 'invalid_code');
    // A fresh challenge works, and gives the attempts back.
    const fresh = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const ok = await client.post('/api/banking/login/verify', { factorId, credential: authenticator.assert({ challenge: fresh.challenge, rpId: RP_ID, origin: TEST_ORIGIN }) });
    expect(ok.statusCode).toBe(200);
    expect(await failuresOf(customer.id)).toBe(0);
  });

  it('refuses an assertion made for another origin or RP ID, or carried to another factor', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client } = await passwordStep(customer);
    const answers = [
      { factorId, origin: 'https://evil.example', rpId: RP_ID },
      { factorId, origin: TEST_ORIGIN, rpId: 'evil.example' },
      { factorId: customer.totpFactorId!, origin: TEST_ORIGIN, rpId: RP_ID },
    ];
    for (const answer of answers) {
      const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
      const credential = authenticator.assert({ challenge: options.challenge, rpId: answer.rpId, origin: answer.origin });
      expectError(await client.post('/api/banking/login/verify', { factorId: answer.factorId, credential }), 401, 'invalid_code');
    }
    // A code sent for the passkey is no better.
    expectError(await client.post('/api/banking/login/verify', { factorId, code: '123456' }), 401, 'invalid_code');
    expect(await failuresOf(customer.id)).toBe(4);
  });

  it('refuses a signature counter that does not grow (a cloned authenticator), and accepts one that stays 0', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const signInOnce = async () => {
      const { client } = await passwordStep(customer);
      const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
      return client.post('/api/banking/login/verify', { factorId, credential: authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN }) });
    };
    expect((await signInOnce()).statusCode).toBe(200);
    expect((await signInOnce()).statusCode).toBe(200);
    authenticator.counter = 0; // the clone signs with 1 again
    expectError(await signInOnce(), 401, 'invalid_code');
    expect(Number((await webauthnFactors(customer.id))[0]!.sign_count)).toBe(2);

    const synced = await customerWithPasskey(softwareAuthenticator({ keepsCounter: false }));
    for (let round = 0; round < 2; round += 1) {
      const { client } = await passwordStep(synced.customer);
      const options = await challengeFor(client, '/api/banking/login/challenge', synced.factorId);
      const credential = synced.authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
      expect((await client.post('/api/banking/login/verify', { factorId: synced.factorId, credential })).statusCode).toBe(200);
    }
  });

  it('locks the second factor after too many failures, refusing even a genuine passkey', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client } = await passwordStep(customer);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
      const forged = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN, signWith: strangerKey() });
      expectError(await client.post('/api/banking/login/verify', { factorId, credential: forged }), 401, 'invalid_code');
    }
    const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const genuine = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    const locked = await client.post('/api/banking/login/verify', { factorId, credential: genuine });
    expectError(locked, 429, 'too_many_attempts');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('steps up with a passkey before a sensitive action, rotating the token', async () => {
    const { customer, client, factorId, authenticator } = await customerWithPasskey();
    // 16 minutes since the second factor, with a request in between so the session stays alive.
    harness.clock.advance(10 * 60);
    await client.get('/api/banking/me');
    harness.clock.advance(6 * 60);
    expectError(await client.post('/api/banking/me/backup-codes'), 401, 'reauthentication_required');

    // Only a signed-in session may ask for a step-up challenge.
    const { client: pending } = await passwordStep(customer);
    expectError(await pending.post('/api/banking/reauthenticate/challenge', { factorId }), 401, 'unauthenticated');

    const options = await challengeFor(client, '/api/banking/reauthenticate/challenge', factorId);
    const before = client.cookie('latchkey_banking');
    const credential = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    const stepped = await client.post('/api/banking/reauthenticate', { factorId, credential });
    expect(stepped.statusCode).toBe(204);
    expect(client.cookie('latchkey_banking')).not.toBe(before);
    expect((await client.post('/api/banking/me/backup-codes')).statusCode).toBe(201);
    const reauth = (await auditTypes(customer.id)).filter((event) => event.type === 'reauthentication.succeeded');
    expect(reauth.at(-1)?.details).toMatchObject({ factor: 'webauthn' });
  });

  it('works on the Admin Platform too, for staff', async () => {
    const staff = await addUser(harness, { kind: 'staff' });
    const client = await signIn(harness, staff, 'admin');
    const authenticator = softwareAuthenticator();
    const options = await client.post('/api/admin/me/two-factor/passkeys/options');
    expect(options.json().rp).toEqual({ id: RP_ID, name: 'Admin Platform' });
    const added = await client.post('/api/admin/me/two-factor/passkeys', {
      response: authenticator.register({ challenge: options.json().challenge, rpId: RP_ID, origin: TEST_ORIGIN }),
    });
    expect(added.statusCode).toBe(201);
    const factorId = added.json().factorId;

    const fresh = harness.client();
    await fresh.post('/api/admin/login', { username: staff.username, password: staff.password });
    const challenge = await fresh.post('/api/admin/login/challenge', { factorId });
    const credential = authenticator.assert({ challenge: challenge.json().webauthn.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    expect((await fresh.post('/api/admin/login/verify', { factorId, credential })).statusCode).toBe(200);
  });

  it('removes a passkey like any other device', async () => {
    const { customer, client, factorId } = await customerWithPasskey();
    const removed = await client.delete(`/api/banking/me/two-factor/factors/${factorId}`);
    expect(removed.statusCode).toBe(204);
    expect(await webauthnFactors(customer.id)).toEqual([]);
    const { factors } = await passwordStep(customer);
    expect(factors.map((factor) => factor.type)).toEqual(['totp']);
  });

  it('never writes a challenge, credential or signature to the log or the audit trail', async () => {
    const { customer, factorId, authenticator } = await customerWithPasskey();
    const { client } = await passwordStep(customer);
    const options = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const forged = authenticator.assert({ challenge: options.challenge, rpId: RP_ID, origin: TEST_ORIGIN, signWith: strangerKey() });
    await client.post('/api/banking/login/verify', { factorId, credential: forged });
    const next = await challengeFor(client, '/api/banking/login/challenge', factorId);
    const credential = authenticator.assert({ challenge: next.challenge, rpId: RP_ID, origin: TEST_ORIGIN });
    expect((await client.post('/api/banking/login/verify', { factorId, credential })).statusCode).toBe(200);

    const secrets = [options.challenge, next.challenge, forged.response.signature, credential.response.signature, credential.response.clientDataJSON];
    const audit = JSON.stringify(await auditTypes(customer.id));
    for (const secret of secrets) {
      expect(harness.logs.join('\n')).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    // Only the challenge's hash is kept while it waits, and nothing once it is used.
    const sessions = await harness.deps.db.selectFrom('sessions').select(['webauthn_challenge_hash']).where('user_id', '=', customer.id).execute();
    expect(JSON.stringify(sessions)).not.toContain(next.challenge);
  });
});
