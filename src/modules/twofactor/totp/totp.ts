// TOTP (RFC 6238) over `otpauth`: 160-bit seeds from the CSPRNG (RFC 4226 §4), 30-second
// steps, 6 digits, and at most one step of clock drift either way (ASVS 5.0 6.5.5).
import * as OTPAuth from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_DRIFT_STEPS = 1;
export const TOTP_ISSUER = 'Latchkey';

export interface TotpParameters {
  secretBase32: string;
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
  digits?: number;
}

function totp({ secretBase32, algorithm = 'SHA1', digits = TOTP_DIGITS }: TotpParameters, label = 'user'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm,
    digits,
    period: TOTP_PERIOD_SECONDS,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

export function generateTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, accountName: string): string {
  return totp({ secretBase32 }, accountName).toString();
}

export function totpCodeAt(parameters: TotpParameters, at: Date): string {
  return totp(parameters).generate({ timestamp: at.getTime() });
}

export function timeStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The time step the code belongs to, or null when it matches none within the drift window. */
export function matchTotpStep(parameters: TotpParameters, code: string, at: Date): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d+$/.test(token) || token.length !== (parameters.digits ?? TOTP_DIGITS)) return null;
  const delta = totp(parameters).validate({ token, timestamp: at.getTime(), window: TOTP_DRIFT_STEPS });
  return delta === null ? null : timeStepAt(at) + delta;
}
