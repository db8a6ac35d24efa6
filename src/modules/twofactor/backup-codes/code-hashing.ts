// How a backup code is kept (SPEC §2, ASVS 5.0 6.5.2, NIST SP 800-63B-4 §3.1.2.2): a salted
// argon2id hash keyed with a secret derived from LATCHKEY_SECRET, which lives outside the
// database, so a dump alone reveals nothing. To check an attempt with at most one slow hash,
// each row also carries `lookup`: the first 64 bits of an HMAC of the code, a keyed index
// that finds the one candidate row. Both need the server secret to be of any use.
import { hash, verify } from '@node-rs/argon2';
import { hmacHex, type ServerKeys } from '../../../shared/secrets.js';

// NIST SP 800-63B-4 §3.1.2.2 allows a small work factor for look-up secrets, and ASVS 5.0
// 6.5.2 asks for an approved password-hashing scheme with a salt, at no particular cost. An
// 80-bit code is out of reach of guessing whatever the cost (2^79 tries on average, each one
// also needing the pepper), so the cost is set for the server, not the attacker: 2 MiB, one
// pass, ~0.6 ms of one core — a redemption or a set of ten is no longer bound by hashing.
// Hashes made at other parameters (the PHC string records them) still verify.
export const BACKUP_CODE_HASH_OPTIONS = { memoryCost: 2_048, timeCost: 1, parallelism: 1 } as const;

export function backupCodeLookup(keys: ServerKeys, userId: string, normalizedCode: string): string {
  return hmacHex(keys.get('backup-code-lookup'), `${userId}:${normalizedCode}`).slice(0, 16);
}

export function hashBackupCode(keys: ServerKeys, normalizedCode: string): Promise<string> {
  return hash(normalizedCode, { ...BACKUP_CODE_HASH_OPTIONS, secret: keys.get('backup-code-pepper') });
}

export async function verifyBackupCodeHash(keys: ServerKeys, storedHash: string, normalizedCode: string): Promise<boolean> {
  try {
    return await verify(storedHash, normalizedCode, { secret: keys.get('backup-code-pepper') });
  } catch {
    return false;
  }
}
