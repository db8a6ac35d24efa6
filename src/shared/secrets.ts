// Randomness, hashing and keys. Every secret Latchkey makes comes from here.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** An opaque token of `bytes` random bytes (256 bits by default), base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function hmacHex(key: Uint8Array, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

// 'notification-secret' seals the one secret a queued confirmation or SMS-code message carries
// (SECURITY §11): the outbox must never hold it in clear.
// 'email-confirmation' keys the hash of the code that confirms a new email address (SPEC §4).
// 'sms-code' keys the HMAC of an SMS one-time code (SECURITY §5.3).
// 'audit-chain' keys the hash chain that seals the audit log (SECURITY §13.3).
// 'device-cookie' signs the cookie that exempts a known browser from address-wide limits (issue #5).
export type KeyPurpose = 'backup-code-lookup' | 'backup-code-pepper' | 'totp-seed-encryption' | 'notification-secret' | 'email-confirmation' | 'sms-code' | 'audit-chain' | 'device-cookie';

/** Keys for separate purposes, derived from the one server secret (RFC 5869 HKDF). */
export interface ServerKeys {
  get(purpose: KeyPurpose): Uint8Array;
}

export function deriveServerKeys(serverSecret: string): ServerKeys {
  const cache = new Map<KeyPurpose, Uint8Array>();
  return {
    get(purpose) {
      let key = cache.get(purpose);
      if (key === undefined) {
        key = new Uint8Array(hkdfSync('sha256', serverSecret, 'latchkey', purpose, 32));
        cache.set(purpose, key);
      }
      return key;
    },
  };
}

/** AES-256-GCM; the output is iv.tag.ciphertext, base64url. */
export function encrypt(key: Uint8Array, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
}

export function decrypt(key: Uint8Array, sealed: string): string {
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (iv === undefined || tag === undefined || ciphertext === undefined) throw new Error('malformed ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
