// Who the browser is talking to when it creates or uses a passkey (WebAuthn §5.1.1): the
// origin the server answers on and its host name as the RP ID. The HTTP adapter works them
// out from PUBLIC_URL, or the request's own origin when none is set (as the Origin check does).
export interface RelyingParty {
  /** The RP ID: the host name of `origin`. */
  id: string;
  /** The exact origin a signed clientDataJSON must name, e.g. https://login.bank.example. */
  origin: string;
  /** What the browser shows beside the passkey. */
  name: string;
}

/** How long the browser may take, and how long the challenge waits (WebAuthn §5.4: 300–600 s advised). */
export const PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS = 300;

export const PASSKEY_FACTOR_LABEL = 'Passkey';

// WebAuthn Level 3 §5.8.4 (AuthenticatorTransport), with the older "cable" and "smart-card".
const KNOWN_TRANSPORTS: ReadonlySet<string> = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** Transport hints as stored: only the known ones, so a client cannot put anything else in the column. */
export function knownTransports(values: readonly string[] | null | undefined): string[] {
  return [...new Set(values ?? [])].filter((value) => KNOWN_TRANSPORTS.has(value));
}

/**
 * The user handle an authenticator keeps with a passkey: the user's random UUID as 16 bytes,
 * never the username or email (WebAuthn §14.6.1: no personal data in the handle).
 */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}
