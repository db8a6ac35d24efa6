// Password storage (SECURITY.md §1.4, §1.7): argon2id at m=19 MiB, t=2, p=1; no truncation;
// an unknown user costs a hash and answers false.
import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, PASSWORD_HASH_OPTIONS, hashPassword, verifyPassword } from './passwords.js';

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

describe('hashPassword', () => {
  it('makes an argon2id PHC string at m=19456, t=2, p=1 (OWASP Password Storage Cheat Sheet)', async () => {
    expect(PASSWORD_HASH_OPTIONS).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const stored = await hashPassword('correct horse battery staple');
    const match = PHC.exec(stored);
    expect(match).not.toBeNull();
    const [, memory, time, parallelism, salt, digest] = match!;
    expect({ memory: Number(memory), time: Number(time), parallelism: Number(parallelism) }).toEqual({ memory: 19_456, time: 2, parallelism: 1 });
    expect(Buffer.from(salt!, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(digest!, 'base64').length).toBeGreaterThanOrEqual(32);
    expect(stored).not.toContain('correct horse');
  });

  it('salts: the same password gives two different hashes', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    expect(first).not.toBe(second);
  });
});

describe('verifyPassword', () => {
  it('is true for the password and false for another', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(stored, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toBe(false);
    expect(await verifyPassword(stored, 'Correct horse battery staple')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('answers false for an unknown user (a null hash), for any password', async () => {
    expect(await verifyPassword(null, 'correct horse battery staple')).toBe(false);
    expect(await verifyPassword(null, 'latchkey-dummy-password-for-timing')).toBe(false);
  });

  it('checks an unknown user against a dummy hash of a fresh hash’s parameters, salt and digest lengths', async () => {
    const shape = (phc: string) => {
      const [, memory, time, parallelism, salt, digest] = PHC.exec(phc) ?? [];
      return { memory, time, parallelism, saltBytes: Buffer.from(salt ?? '', 'base64').length, digestBytes: Buffer.from(digest ?? '', 'base64').length };
    };
    expect(shape(DUMMY_PASSWORD_HASH)).toEqual(shape(await hashPassword('correct horse battery staple')));
    expect(shape(DUMMY_PASSWORD_HASH).digestBytes).toBe(32);
  });

  it('answers false, not an exception, for a malformed stored hash', async () => {
    expect(await verifyPassword('not-a-phc-string', 'correct horse battery staple')).toBe(false);
  });

  it('does not truncate: a 70-character password does not verify with its first 64 or 69 characters', async () => {
    const password = 'the quick brown fox jumps over the lazy dog while seven zebras sleep!!';
    expect([...password]).toHaveLength(70);
    const stored = await hashPassword(password);
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(stored, password.slice(0, 64))).toBe(false);
    expect(await verifyPassword(stored, password.slice(0, 69))).toBe(false);
  });

  it('does not transform: a changed middle character or a changed case fails', async () => {
    const password = 'José is a café owner in Zürich';
    const stored = await hashPassword(password.normalize('NFC'));
    expect(await verifyPassword(stored, password.normalize('NFC'))).toBe(true);
    expect(await verifyPassword(stored, 'José is a cafe owner in Zürich')).toBe(false);
    expect(await verifyPassword(stored, 'José is a CAFé owner in Zürich')).toBe(false);
  });
});
