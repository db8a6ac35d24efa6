// How backup codes are kept (SPEC §2, ASVS 5.0 6.5.2): a salted argon2id hash keyed with
// the server secret, and a keyed lookup that finds the one candidate row.
import { describe, expect, it } from 'vitest';
import { deriveServerKeys } from '../../../shared/secrets.js';
import { generateBackupCode } from './code-format.js';
import { BACKUP_CODE_HASH_OPTIONS, backupCodeLookup, hashBackupCode, verifyBackupCodeHash } from './code-hashing.js';

const keys = deriveServerKeys('server-secret-one-0123456789abcdefghijklmnop');
const otherKeys = deriveServerKeys('server-secret-two-0123456789abcdefghijklmnop');
const userA = '2f1b6a9e-4c1d-4d8e-9a63-0c7f5b2d1e01';
const userB = '8c3e2d10-7b5a-4f6c-8d2e-1a9b0c3d4e02';

describe('hashBackupCode / verifyBackupCodeHash', () => {
  it('verifies the code with the same server keys', async () => {
    const code = generateBackupCode();
    const stored = await hashBackupCode(keys, code);
    expect(await verifyBackupCodeHash(keys, stored, code)).toBe(true);
    // Keys derived again from the same secret (another instance) verify too.
    expect(await verifyBackupCodeHash(deriveServerKeys('server-secret-one-0123456789abcdefghijklmnop'), stored, code)).toBe(true);
  });

  it('refuses another code', async () => {
    const code = generateBackupCode();
    const stored = await hashBackupCode(keys, code);
    let other = generateBackupCode();
    while (other === code) other = generateBackupCode();
    expect(await verifyBackupCodeHash(keys, stored, other)).toBe(false);
  });

  it('refuses the right code under a different server secret: a database dump alone is not enough', async () => {
    const code = generateBackupCode();
    const stored = await hashBackupCode(keys, code);
    expect(await verifyBackupCodeHash(otherKeys, stored, code)).toBe(false);
  });

  it('is not a plain argon2id of the code: without the secret the hash does not verify', async () => {
    const { verify } = await import('@node-rs/argon2');
    const code = generateBackupCode();
    const stored = await hashBackupCode(keys, code);
    expect(await verify(stored, code)).toBe(false);
  });

  it('stores an argon2id PHC string with its own salt and the declared cost', async () => {
    const code = generateBackupCode();
    const stored = await hashBackupCode(keys, code);
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    expect(match).not.toBeNull();
    const [, memory, time, parallelism, salt] = match!;
    expect(Number(memory)).toBe(BACKUP_CODE_HASH_OPTIONS.memoryCost);
    expect(Number(time)).toBe(BACKUP_CODE_HASH_OPTIONS.timeCost);
    expect(Number(parallelism)).toBe(BACKUP_CODE_HASH_OPTIONS.parallelism);
    // At least 128 bits of salt (base64 without padding: 22 characters).
    expect(salt!.length).toBeGreaterThanOrEqual(22);
    expect(stored).not.toContain(code);
  });

  it('still verifies codes of sets hashed at earlier parameters (m = 8 MiB, t = 2), and only with the secret', async () => {
    const { hash } = await import('@node-rs/argon2');
    const code = generateBackupCode();
    const earlier = await hash(code, { memoryCost: 8_192, timeCost: 2, parallelism: 1, secret: keys.get('backup-code-pepper') });
    expect(earlier).toContain('$m=8192,t=2,p=1$');
    expect(await verifyBackupCodeHash(keys, earlier, code)).toBe(true);
    expect(await verifyBackupCodeHash(otherKeys, earlier, code)).toBe(false);
  });

  it('salts: the same code hashed twice gives two different strings, both valid', async () => {
    const code = generateBackupCode();
    const first = await hashBackupCode(keys, code);
    const second = await hashBackupCode(keys, code);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await verifyBackupCodeHash(keys, second, code)).toBe(true);
  });

  it('answers false, not an exception, for a malformed stored hash', async () => {
    expect(await verifyBackupCodeHash(keys, 'not-a-hash', generateBackupCode())).toBe(false);
  });
});

describe('backupCodeLookup', () => {
  it('is deterministic for one user and one code', () => {
    const code = generateBackupCode();
    expect(backupCodeLookup(keys, userA, code)).toBe(backupCodeLookup(keys, userA, code));
    expect(backupCodeLookup(keys, userA, code)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('differs across users for the same code', () => {
    const code = generateBackupCode();
    expect(backupCodeLookup(keys, userA, code)).not.toBe(backupCodeLookup(keys, userB, code));
  });

  it('differs across codes for the same user', () => {
    const lookups = new Set(Array.from({ length: 200 }, () => backupCodeLookup(keys, userA, generateBackupCode())));
    expect(lookups.size).toBe(200);
  });

  it('depends on the server secret and does not contain the code', () => {
    const code = generateBackupCode();
    expect(backupCodeLookup(keys, userA, code)).not.toBe(backupCodeLookup(otherKeys, userA, code));
    expect(backupCodeLookup(keys, userA, code).toUpperCase()).not.toContain(code);
  });
});
