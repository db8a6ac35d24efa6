// The browser's side of passkeys (WebAuthn through @simplewebauthn/browser): sign the
// server's challenge, or create a new passkey, and say in plain words what went wrong.
import { WebAuthnError, browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { ApiError, type PasskeyAssertionJSON, type PasskeyChallenge, type PasskeyCreationOptions, type PasskeyRegistrationResponse } from './api.js';
import { codeErrorMessage } from './messages.js';

export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** Asks the browser to sign the challenge with the passkey the server named. */
export async function signWithPasskey(challenge: PasskeyChallenge | undefined): Promise<PasskeyAssertionJSON> {
  if (challenge === undefined) throw new Error('The server gave no passkey challenge.');
  return startAuthentication({ optionsJSON: challenge.webauthn });
}

/** Asks the browser to create a passkey for these options. */
export async function createPasskey(options: PasskeyCreationOptions): Promise<PasskeyRegistrationResponse> {
  return startRegistration({ optionsJSON: options });
}

/** What to tell a person whose passkey did not work, whether the browser or the server said no. */
export function passkeyErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_code') return 'That passkey could not be verified. Try again, or choose another device.';
    if (error.code === 'validation_failed') return 'The passkey could not be added. Try again.';
    return codeErrorMessage(error);
  }
  if (error instanceof WebAuthnError && error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This passkey is already added to your account.';
  if (error instanceof WebAuthnError && (error.code === 'ERROR_INVALID_DOMAIN' || error.code === 'ERROR_INVALID_RP_ID')) {
    return 'Passkeys work only when this site is opened by its name (such as localhost), not by an IP address. Choose another device.';
  }
  if (!passkeysSupported()) return 'This browser cannot use passkeys. Choose another device.';
  // NotAllowedError: cancelled, timed out, or no matching passkey on this device.
  return 'The passkey was not used. Try again, or choose another device.';
}
