// Backup codes as people read them aloud and type them back (SPEC §2 "Codes").
import { describe, expect, it } from 'vitest';
import { BACKUP_CODE_LENGTH, formatBackupCode, generateBackupCode, normalizeBackupCode } from './code-format.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('generateBackupCode', () => {
  it('gives 16 characters of Crockford base32 (80 bits)', () => {
    expect(BACKUP_CODE_LENGTH).toBe(16);
    for (let index = 0; index < 50; index += 1) {
      expect(generateBackupCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    }
  });

  it('gives 1000 distinct codes in 1000 draws', () => {
    const codes = Array.from({ length: 1000 }, () => generateBackupCode());
    expect(new Set(codes).size).toBe(1000);
  });

  it('uses every symbol of the alphabet, and only those', () => {
    // 16 000 symbols drawn uniformly from 32: each appears ~500 times, a missing one means a bias.
    const seen = new Map<string, number>();
    for (let index = 0; index < 1000; index += 1) {
      for (const symbol of generateBackupCode()) seen.set(symbol, (seen.get(symbol) ?? 0) + 1);
    }
    expect([...seen.keys()].sort().join('')).toBe(CROCKFORD);
    for (const count of seen.values()) expect(count).toBeGreaterThan(300);
  });

  it('uses the first symbol as freely as the last (all 80 bits reach the code)', () => {
    const firsts = new Set(Array.from({ length: 1000 }, () => generateBackupCode()[0]));
    expect(firsts.size).toBe(32);
  });

  it('never contains the look-alikes I, L, O nor U', () => {
    const all = Array.from({ length: 500 }, () => generateBackupCode()).join('');
    expect(all).not.toMatch(/[ILOU]/);
  });
});

describe('formatBackupCode', () => {
  it('shows four groups of four', () => {
    expect(formatBackupCode('7KQ4M9XT2HCWP3RD')).toBe('7KQ4-M9XT-2HCW-P3RD');
    expect(formatBackupCode(generateBackupCode())).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });

  it('is undone by normalize', () => {
    const code = generateBackupCode();
    expect(normalizeBackupCode(formatBackupCode(code))).toBe(code);
  });
});

describe('normalizeBackupCode', () => {
  const canonical = '7KQ4M9XT2HCWP3RD';

  it('accepts the code as shown', () => {
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3RD')).toBe(canonical);
  });

  it('ignores case', () => {
    expect(normalizeBackupCode('7kq4-m9xt-2hcw-p3rd')).toBe(canonical);
    expect(normalizeBackupCode('7kQ4M9xT2hCwP3rD')).toBe(canonical);
  });

  it('ignores spaces and dashes wherever they are', () => {
    expect(normalizeBackupCode('7KQ4 M9XT 2HCW P3RD')).toBe(canonical);
    expect(normalizeBackupCode('  7KQ4M9XT2HCWP3RD  ')).toBe(canonical);
    expect(normalizeBackupCode('7-K-Q-4 M9XT--2HCW\tP3RD')).toBe(canonical);
  });

  it("maps Crockford's look-alikes: O to 0, I and L to 1", () => {
    expect(normalizeBackupCode('OOOO-IIII-LLLL-oil0')).toBe('0000111111110110');
    expect(normalizeBackupCode('1O2I-3L4o-5i6l-7890')).toBe('1021314051617890');
  });

  it('refuses wrong lengths', () => {
    expect(normalizeBackupCode('')).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3R')).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3RDX')).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT')).toBeNull();
    expect(normalizeBackupCode('---- ---- ---- ----')).toBeNull();
  });

  it('refuses symbols outside the alphabet', () => {
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3RU')).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3R*')).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3R%')).toBeNull();
    expect(normalizeBackupCode("7KQ4-M9XT-2HCW-P3R'")).toBeNull();
    expect(normalizeBackupCode('7KQ4-M9XT-2HCW-P3RÉ')).toBeNull();
  });
});
