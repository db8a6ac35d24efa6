// Password hashing: argon2id at OWASP's Password Storage Cheat Sheet parameters
// (m=19 MiB, t=2, p=1). An unknown user is checked against a dummy hash, so it costs the
// same time as a wrong password (ASVS 5.0 6.3.8).
import { hash, verify } from '@node-rs/argon2';

export const PASSWORD_HASH_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

let dummyHash: Promise<string> | null = null;

/** `storedHash` null means "no such user": the same work is done, and the answer is false. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash === null) {
    await verify(await (dummyHash ??= hashPassword('latchkey-dummy-password-for-timing')), password);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
