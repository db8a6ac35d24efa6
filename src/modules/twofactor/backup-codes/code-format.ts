// Backup codes: 16 characters of Crockford base32 (80 bits from the CSPRNG), shown as four
// groups of four for reading aloud (SPEC §2). Input is forgiving: case, spaces and dashes
// are ignored and Crockford's look-alikes are mapped (O→0, I/L→1).
import { randomBytes } from 'node:crypto';

const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BACKUP_CODE_LENGTH = 16;

/** 16 symbols × 5 bits = 80 bits of entropy (NIST SP 800-63B-4 §4.2.1.1 asks for ≥ 64). */
export function generateBackupCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let index = 0; index < BACKUP_CODE_LENGTH; index += 1) {
    code = CROCKFORD_ALPHABET[Number(bits & 31n)] + code;
    bits >>= 5n;
  }
  return code;
}

export function formatBackupCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

/** The canonical 16-character form of what a user typed, or null when it cannot be a code. */
export function normalizeBackupCode(input: string): string | null {
  const cleaned = input
    .toUpperCase()
    .replace(/[\s\-_]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (cleaned.length !== BACKUP_CODE_LENGTH) return null;
  for (const symbol of cleaned) if (!CROCKFORD_ALPHABET.includes(symbol)) return null;
  return cleaned;
}
