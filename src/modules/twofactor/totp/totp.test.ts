// TOTP against the published vectors of RFC 6238 Appendix B, the drift window, and the seeds
// and provisioning URI an authenticator app receives (SECURITY.md §4.1).
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TOTP_PERIOD_SECONDS, generateTotpSecret, matchTotpStep, timeStepAt, totpCodeAt, totpUri } from './totp.js';

// RFC 6238 Appendix B: the seeds are ASCII strings of 20, 32 and 64 bytes.
const rfcSecrets = {
  SHA1: OTPAuth.Secret.fromLatin1('12345678901234567890').base32,
  SHA256: OTPAuth.Secret.fromLatin1('12345678901234567890123456789012').base32,
  SHA512: new OTPAuth.Secret({ buffer: new TextEncoder().encode(`${'1234567890'.repeat(6)}1234`).buffer }).base32,
} as const;

const rfcVectors: { seconds: number; algorithm: keyof typeof rfcSecrets; code: string }[] = [
  { seconds: 59, algorithm: 'SHA1', code: '94287082' },
  { seconds: 59, algorithm: 'SHA256', code: '46119246' },
  { seconds: 59, algorithm: 'SHA512', code: '90693936' },
  { seconds: 1111111109, algorithm: 'SHA1', code: '07081804' },
  { seconds: 1111111109, algorithm: 'SHA256', code: '68084774' },
  { seconds: 1111111109, algorithm: 'SHA512', code: '25091201' },
  { seconds: 1111111111, algorithm: 'SHA1', code: '14050471' },
  { seconds: 1111111111, algorithm: 'SHA256', code: '67062674' },
  { seconds: 1111111111, algorithm: 'SHA512', code: '99943326' },
  { seconds: 1234567890, algorithm: 'SHA1', code: '89005924' },
  { seconds: 1234567890, algorithm: 'SHA256', code: '91819424' },
  { seconds: 1234567890, algorithm: 'SHA512', code: '93441116' },
  { seconds: 2000000000, algorithm: 'SHA1', code: '69279037' },
  { seconds: 2000000000, algorithm: 'SHA256', code: '90698825' },
  { seconds: 2000000000, algorithm: 'SHA512', code: '38618901' },
  { seconds: 20000000000, algorithm: 'SHA1', code: '65353130' },
  { seconds: 20000000000, algorithm: 'SHA256', code: '77737706' },
  { seconds: 20000000000, algorithm: 'SHA512', code: '47863826' },
];

const at = (seconds: number) => new Date(seconds * 1000);

describe('totpCodeAt', () => {
  it('decodes the RFC 6238 seeds to the byte lengths the RFC uses', () => {
    expect(OTPAuth.Secret.fromBase32(rfcSecrets.SHA1).bytes).toHaveLength(20);
    expect(OTPAuth.Secret.fromBase32(rfcSecrets.SHA256).bytes).toHaveLength(32);
    expect(OTPAuth.Secret.fromBase32(rfcSecrets.SHA512).bytes).toHaveLength(64);
  });

  it.each(rfcVectors)('gives the RFC 6238 Appendix B code at T=$seconds with $algorithm', ({ seconds, algorithm, code }) => {
    expect(totpCodeAt({ secretBase32: rfcSecrets[algorithm], algorithm, digits: 8 }, at(seconds))).toBe(code);
  });

  it('gives 6 digits by default, the last 6 of the 8-digit value', () => {
    const code = totpCodeAt({ secretBase32: rfcSecrets.SHA1 }, at(59));
    expect(code).toBe('287082');
  });
});

describe('matchTotpStep', () => {
  const secretBase32 = rfcSecrets.SHA1;
  // In the middle of a step, so that ±30 s lands in the neighbouring steps.
  const now = at(1_700_000_000 - (1_700_000_000 % TOTP_PERIOD_SECONDS) + 15);
  const step = timeStepAt(now);
  const codeAtOffset = (offsetSeconds: number) => totpCodeAt({ secretBase32 }, at(now.getTime() / 1000 + offsetSeconds));

  it('matches the current step and says which step it is', () => {
    expect(matchTotpStep({ secretBase32 }, codeAtOffset(0), now)).toBe(step);
  });

  it('accepts one step of drift either way', () => {
    expect(matchTotpStep({ secretBase32 }, codeAtOffset(-30), now)).toBe(step - 1);
    expect(matchTotpStep({ secretBase32 }, codeAtOffset(30), now)).toBe(step + 1);
  });

  it('refuses two steps of drift either way', () => {
    // Fixed seed and time: these codes differ from the three inside the window.
    const window = [codeAtOffset(-30), codeAtOffset(0), codeAtOffset(30)];
    for (const offset of [-60, 60]) {
      const code = codeAtOffset(offset);
      expect(window).not.toContain(code);
      expect(matchTotpStep({ secretBase32 }, code, now)).toBeNull();
    }
  });

  it('refuses a wrong code', () => {
    const window = new Set([codeAtOffset(-30), codeAtOffset(0), codeAtOffset(30)]);
    let wrong = 0;
    while (window.has(String(wrong).padStart(6, '0'))) wrong += 1;
    expect(matchTotpStep({ secretBase32 }, String(wrong).padStart(6, '0'), now)).toBeNull();
  });

  it('refuses a code of the wrong length', () => {
    const code = codeAtOffset(0);
    expect(matchTotpStep({ secretBase32 }, code.slice(0, 5), now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, `${code}0`, now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, `0${code}`, now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, '', now)).toBeNull();
    // The 8-digit value of the same step is not a 6-digit code.
    expect(matchTotpStep({ secretBase32 }, totpCodeAt({ secretBase32, digits: 8 }, now), now)).toBeNull();
  });

  it('refuses anything but digits', () => {
    const code = codeAtOffset(0);
    expect(matchTotpStep({ secretBase32 }, `${code.slice(0, 5)}a`, now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, 'abcdef', now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, `-${code.slice(1)}`, now)).toBeNull();
    expect(matchTotpStep({ secretBase32 }, `${code.slice(0, 5)}٣`, now)).toBeNull();
  });

  it('ignores spaces inside a code typed in groups', () => {
    const code = codeAtOffset(0);
    expect(matchTotpStep({ secretBase32 }, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(step);
  });

  it('matches 8-digit RFC vectors when asked for 8 digits', () => {
    expect(matchTotpStep({ secretBase32: rfcSecrets.SHA256, algorithm: 'SHA256', digits: 8 }, '91819424', at(1234567890))).toBe(
      Math.floor(1234567890 / 30),
    );
  });
});

describe('generateTotpSecret', () => {
  it('gives 32 base32 characters: 160 bits', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(OTPAuth.Secret.fromBase32(secret).bytes).toHaveLength(20);
  });

  it('gives a different secret each time', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateTotpSecret()));
    expect(secrets.size).toBe(100);
  });
});

describe('totpUri', () => {
  it('tells the authenticator app: TOTP, 30-second period, 6 digits, SHA1, issuer Latchkey, the secret', () => {
    const secret = generateTotpSecret();
    const uri = new URL(totpUri(secret, 'alice'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Latchkey:alice');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('period')).toBe('30');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('issuer')).toBe('Latchkey');
  });

  it('round-trips: the codes of the parsed URI are the server codes', () => {
    const secret = generateTotpSecret();
    const parsed = OTPAuth.URI.parse(totpUri(secret, 'alice'));
    const when = at(1_800_000_000);
    expect(parsed.generate({ timestamp: when.getTime() })).toBe(totpCodeAt({ secretBase32: secret }, when));
  });
});
