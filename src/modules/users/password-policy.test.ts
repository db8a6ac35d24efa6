// SECURITY.md §1: 12 to 128 code points, no composition rules, the whole password checked
// against common passwords and the words of its context, with a reason when refused.
import { describe, expect, it } from 'vitest';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordPolicyViolation } from './password-policy.js';

// Varied lowercase letters and digits: no common password, no context word, no repetition.
const ofLength = (length: number) => {
  const pool = 'tqzvkmwrxpbnjhgfdscyle8573';
  let value = '';
  for (let index = 0; index < length; index += 1) value += pool[(index * 7) % pool.length];
  return value;
};

describe('passwordPolicyViolation — length', () => {
  it('has the decided bounds: 12 and 128', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
  });

  it('refuses 11 characters with a reason', () => {
    const reason = passwordPolicyViolation(ofLength(11));
    expect(reason).toEqual(expect.any(String));
    expect(reason).toMatch(/12/);
  });

  it('accepts 12 characters', () => {
    expect(passwordPolicyViolation(ofLength(12))).toBeNull();
  });

  it('accepts 128 characters', () => {
    expect(passwordPolicyViolation(ofLength(128))).toBeNull();
  });

  it('refuses 129 characters with a reason', () => {
    const reason = passwordPolicyViolation(ofLength(129));
    expect(reason).toEqual(expect.any(String));
    expect(reason).toMatch(/128/);
  });

  it('counts code points, not UTF-16 units: 6 emoji and 6 letters are 12 characters', () => {
    const password = '🔑🏦🌍🎲🧭🪁qzvkmw';
    expect(password.length).toBe(18);
    expect(passwordPolicyViolation(password)).toBeNull();
  });

  it('counts code points, not UTF-16 units: 5 emoji and 6 letters are 11 characters, too short', () => {
    const password = '🔑🏦🌍🎲🧭qzvkmw';
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(passwordPolicyViolation(password)).not.toBeNull();
  });

  it('counts code points at the top too: 64 emoji and 64 letters are 128 characters', () => {
    const password = `${'🔑🏦🌍🎲'.repeat(16)}${ofLength(64)}`;
    expect(password.length).toBe(192);
    expect(passwordPolicyViolation(password)).toBeNull();
  });
});

describe('passwordPolicyViolation — no composition rules', () => {
  it('accepts "correct horse battery staple": all lowercase, spaces, no digit or symbol', () => {
    expect(passwordPolicyViolation('correct horse battery staple')).toBeNull();
  });

  it('accepts a long passphrase that merely contains a common word', () => {
    expect(passwordPolicyViolation('my password is a purple giraffe')).toBeNull();
  });
});

describe('passwordPolicyViolation — common and context passwords', () => {
  it.each(['Password123!', 'qwertyuiop12', 'latchkey2025!', 'aaaaaaaaaaaa', 'abababababab'])('refuses %s with a reason', (password) => {
    const reason = passwordPolicyViolation(password);
    expect(reason).toEqual(expect.any(String));
    expect(reason!.length).toBeGreaterThan(10);
  });

  it('refuses the username with digits, only when it is the username', () => {
    const context = { username: 'margaret.okafor', email: 'm.okafor@example.test', firstName: 'Margaret', lastName: 'Okafor' };
    const reason = passwordPolicyViolation('margaret.okafor12345', context);
    expect(reason).toMatch(/username/i);
    // The same password is not a context word for someone else.
    expect(passwordPolicyViolation('margaret.okafor12345', { username: 'someone.else' })).toBeNull();
  });

  it('refuses the username whatever its case', () => {
    expect(passwordPolicyViolation('Margaret.Okafor12345', { username: 'margaret.okafor' })).not.toBeNull();
  });

  it('refuses the local part of the email with digits', () => {
    expect(passwordPolicyViolation('okafor.margaret2025', { email: 'okafor.margaret@example.test' })).not.toBeNull();
  });
});
