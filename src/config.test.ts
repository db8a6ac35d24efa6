// SPEC §6 and §8: environment → configuration, its defaults, and refusals that name the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const SECRET = 'a-server-secret-of-at-least-32-characters-0123';
const POSTGRES = 'postgres://latchkey@db.internal:5432/latchkey';

function refusal(environment: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(environment)}`);
}

describe('loadConfig — defaults', () => {
  it('listens on 127.0.0.1:3000 with the embedded database in ./data and demo users', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.seedDemoUsers).toBe(true);
    expect(config.publicUrl).toBeNull();
    expect(config.secret).toBeNull();
    expect(config.environment).toBe('development');
  });

  it('has the time-outs and limits of SECURITY.md', () => {
    const config = loadConfig({});
    expect(config.sessions).toEqual({
      idleTimeoutInSeconds: 900,
      absoluteTimeoutInSeconds: 43_200,
      pendingTimeoutInSeconds: 600,
      stepUpWindowInSeconds: 900,
    });
    expect(config.backupCodes).toEqual({ perSet: 10, staffLifetimeInSeconds: 7 * 24 * 3600, maxSetsPerStaffPerHour: 20 });
    expect(config.throttle).toEqual({ maxSecondFactorFailures: 10, lockoutInSeconds: 1800 });
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '', DATABASE_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database.kind).toBe('pglite');
  });

  it('does not seed demo users on PostgreSQL by default', () => {
    const config = loadConfig({ DATABASE_URL: POSTGRES, LATCHKEY_SECRET: SECRET });
    expect(config.database).toEqual({ kind: 'postgres', url: POSTGRES });
    expect(config.secret).toBe(SECRET);
    expect(config.seedDemoUsers).toBe(false);
  });

  it('lets LATCHKEY_DEMO override the default either way', () => {
    expect(loadConfig({ DATABASE_URL: POSTGRES, LATCHKEY_SECRET: SECRET, LATCHKEY_DEMO: 'true' }).seedDemoUsers).toBe(true);
    expect(loadConfig({ LATCHKEY_DEMO: 'false' }).seedDemoUsers).toBe(false);
  });

  it('reads the values it is given', () => {
    const config = loadConfig({ PORT: '8443', HOST: '0.0.0.0', LATCHKEY_DATA_DIR: '/var/lib/latchkey', PUBLIC_URL: 'https://login.bank.example/' });
    expect(config.port).toBe(8443);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/var/lib/latchkey' });
    expect(config.publicUrl).toBe('https://login.bank.example');
  });
});

describe('loadConfig — a bad value names the variable', () => {
  it('PORT=abc', () => {
    expect(refusal({ PORT: 'abc' }).message).toContain('PORT');
  });

  it('PORT out of range', () => {
    expect(refusal({ PORT: '70000' }).message).toContain('PORT');
  });

  it('DATABASE_URL that is not PostgreSQL', () => {
    const error = refusal({ DATABASE_URL: 'mysql://x', LATCHKEY_SECRET: SECRET });
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain('PORT');
  });

  it('LATCHKEY_DEMO that is not a boolean', () => {
    expect(refusal({ LATCHKEY_DEMO: 'maybe' }).message).toContain('LATCHKEY_DEMO');
  });

  it('PUBLIC_URL that is not http(s)', () => {
    expect(refusal({ PUBLIC_URL: 'ftp://login.bank.example' }).message).toContain('PUBLIC_URL');
  });

  it('a LATCHKEY_SECRET too short to be a key', () => {
    expect(refusal({ LATCHKEY_SECRET: 'short' }).message).toContain('LATCHKEY_SECRET');
  });
});

describe('loadConfig — PostgreSQL and production', () => {
  it('refuses DATABASE_URL without LATCHKEY_SECRET, naming LATCHKEY_SECRET', () => {
    expect(refusal({ DATABASE_URL: POSTGRES }).message).toContain('LATCHKEY_SECRET');
  });

  it('refuses NODE_ENV=production without DATABASE_URL, in one line naming DATABASE_URL', () => {
    const { message } = refusal({ NODE_ENV: 'production' });
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('\n');
    expect(message.trim().length).toBeGreaterThan('DATABASE_URL'.length);
  });

  it('accepts NODE_ENV=production with DATABASE_URL and LATCHKEY_SECRET', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: POSTGRES, LATCHKEY_SECRET: SECRET });
    expect(config.environment).toBe('production');
    expect(config.database.kind).toBe('postgres');
  });
});

describe('loadConfig — notifications', () => {
  it('logs notifications by default (the embedded demo), with a support contact for "Wasn\'t you?"', () => {
    expect(loadConfig({}).notifications).toEqual({
      email: { kind: 'log' },
      sms: { kind: 'log' },
      supportContact: 'call the number on the back of your card',
    });
  });

  it('sends mail over SMTP_URL from MAIL_FROM, and SMS to SMS_WEBHOOK_URL', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://latchkey:pw@mail.bank.example:465',
      MAIL_FROM: 'Bank <no-reply@bank.example>',
      SMS_WEBHOOK_URL: 'https://sms.bank.example/send',
      LATCHKEY_SUPPORT_CONTACT: 'call +44 20 7946 0000',
    });
    expect(config.notifications).toEqual({
      email: { kind: 'smtp', url: 'smtps://latchkey:pw@mail.bank.example:465', from: 'Bank <no-reply@bank.example>' },
      sms: { kind: 'webhook', url: 'https://sms.bank.example/send' },
      supportContact: 'call +44 20 7946 0000',
    });
  });

  it('refuses SMTP_URL without MAIL_FROM, naming MAIL_FROM', () => {
    expect(refusal({ SMTP_URL: 'smtp://mail.bank.example' }).message).toContain('MAIL_FROM');
  });

  it('names SMTP_URL, MAIL_FROM or SMS_WEBHOOK_URL when one is malformed, without echoing its value', () => {
    const smtp = refusal({ SMTP_URL: 'http://user:hunter2@mail.bank.example', MAIL_FROM: 'no-reply@bank.example' });
    expect(smtp.message).toContain('SMTP_URL');
    expect(smtp.message).not.toContain('hunter2');
    expect(refusal({ SMTP_URL: 'smtp://mail.bank.example', MAIL_FROM: 'not an address' }).message).toContain('MAIL_FROM');
    expect(refusal({ SMS_WEBHOOK_URL: 'ftp://sms.bank.example' }).message).toContain('SMS_WEBHOOK_URL');
    expect(refusal({ LATCHKEY_SUPPORT_CONTACT: 'x' }).message).toContain('LATCHKEY_SUPPORT_CONTACT');
  });
});

describe('loadConfig — rate limits behind proxies', () => {
  it('keeps counters in the process and ignores X-Forwarded-For by default', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBeNull();
    expect(config.trustProxy).toBeNull();
  });

  it('reads REDIS_URL and the proxies of TRUST_PROXY: addresses, CIDRs and proxy-addr names', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://:pw@cache.internal:6380/2', TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1,::1, fd00::/8 ,loopback' });
    expect(config.redisUrl).toBe('rediss://:pw@cache.internal:6380/2');
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses a TRUST_PROXY that would believe any client: true, a hop count, a name or a bad CIDR', () => {
    for (const value of ['true', '1', '*', 'proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8', ',']) {
      const { message } = refusal({ TRUST_PROXY: value });
      expect(message, value).toContain('TRUST_PROXY');
      expect(message).toContain('X-Forwarded-For');
    }
  });

  it('refuses a REDIS_URL that is not redis:// or rediss://, naming it without echoing its value', () => {
    const { message } = refusal({ REDIS_URL: 'http://:hunter2@cache.internal:6379' });
    expect(message).toContain('REDIS_URL');
    expect(message).not.toContain('hunter2');
  });
});
