// Password hashing: argon2id at OWASP's Password Storage Cheat Sheet parameters
// (m=19 MiB, t=2, p=1). An unknown user is checked against a dummy hash of the same
// parameters, so it costs the same time as a wrong password (ASVS 5.0 6.3.8).
import { hash, verify } from '@node-rs/argon2';

export const PASSWORD_HASH_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * A PHC string no password matches (an all-zero digest) with a fresh hash's parameters and
 * lengths (16-byte salt, 32-byte digest): verifying against it runs the full argon2id
 * computation. A constant rather than a hash made on first use, so not even the first
 * unknown user of a process costs a second hash.
 */
export const DUMMY_PASSWORD_HASH =
  `$argon2id$v=19$m=${PASSWORD_HASH_OPTIONS.memoryCost},t=${PASSWORD_HASH_OPTIONS.timeCost},p=${PASSWORD_HASH_OPTIONS.parallelism}` +
  `$${'A'.repeat(22)}$${'A'.repeat(43)}`;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

/** `storedHash` null means "no such user": the same work is done, and the answer is false. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  try {
    const matches = await verify(storedHash ?? DUMMY_PASSWORD_HASH, password);
    return storedHash !== null && matches;
  } catch {
    return false;
  }
}
