// Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a browser
// that completed a sign-in to an account is given a cookie bound to that account, so that it
// can be told apart from strangers behind the same address (an office or carrier NAT). Such a
// browser is exempt from the address-wide limits that those strangers can exhaust, and is
// counted on its own key instead (rate-limits.ts).
//
// The cookie names the account only through a MAC under a server key, holds no session and
// grants nothing else: a stolen one spares its thief the address limits for that one account,
// and they still meet the per-device and per-account ones. It outlives sign-out on purpose.
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Surface } from '../db/schema.js';
import { type ServerKeys, constantTimeEqual, randomToken } from '../../shared/secrets.js';
import { readCookie } from './cookies.js';

const NONCE_LENGTH = 22; // 16 random bytes, base64url
const LIFETIME_IN_SECONDS = 180 * 24 * 60 * 60; // a customer who signs in twice a year stays known

export function deviceCookieName(surface: Surface, secure: boolean): string {
  return `${secure ? '__Host-' : ''}latchkey_device_${surface}`;
}

export function setDeviceCookie(
  keys: ServerKeys,
  reply: FastifyReply,
  input: { surface: Surface; username: string; secure: boolean },
): void {
  const nonce = randomToken(16);
  const value = `${nonce}${deviceMac(keys, input.surface, input.username, nonce)}`;
  reply.header(
    'set-cookie',
    `${deviceCookieName(input.surface, input.secure)}=${value}; Path=/; Max-Age=${LIFETIME_IN_SECONDS}; HttpOnly; SameSite=Strict${input.secure ? '; Secure' : ''}`,
  );
}

/** The cookie's nonce when the request carries a device cookie for this account, else null. */
export function knownDeviceOf(
  keys: ServerKeys,
  request: FastifyRequest,
  input: { surface: Surface; username: string; secure: boolean },
): string | null {
  const value = readCookie(request, deviceCookieName(input.surface, input.secure));
  if (value === null || value.length <= NONCE_LENGTH) return null;
  const nonce = value.slice(0, NONCE_LENGTH);
  return constantTimeEqual(value.slice(NONCE_LENGTH), deviceMac(keys, input.surface, input.username, nonce)) ? nonce : null;
}

function deviceMac(keys: ServerKeys, surface: Surface, username: string, nonce: string): string {
  // Usernames are matched case-insensitively at sign-in (users-repository), and so are they here.
  return createHmac('sha256', keys.get('device-cookie')).update(`${surface}\n${username.toLowerCase()}\n${nonce}`).digest('base64url');
}
