// The `latchkey` command line (SPEC §8): against DATABASE_URL when set, else the embedded
// database in LATCHKEY_DATA_DIR. It refuses to open an embedded database a server holds.
import { open, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compose } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { EmbeddedDatabaseInUseError } from './adapters/db/embedded-lock.js';
import { cliMeta } from './modules/audit/record-audit-event.js';
import { sealAuditEvents } from './modules/audit/seal-audit-events.js';
import { describeChainProblem, verifyAuditChain } from './modules/audit/verify-audit-chain.js';
import type { Deps } from './modules/deps.js';
import { changePermissions } from './modules/permissions/change-permissions.js';
import { assignRole, createRole } from './modules/permissions/roles.js';
import { formatDemoCredentials, seedDemo } from './modules/seed/seed-demo.js';
import { DEFAULT_BULK_USERS_WITH_CODES, MAX_BULK_USERS, type BulkSeedResult, maxUsersWithBackupCodes, seedUsers } from './modules/seed/seed-users.js';
import { createUser } from './modules/users/create-user.js';
import { AppError } from './shared/app-error.js';
import { createLogger } from './shared/logger.js';

const USAGE = `Usage: latchkey <command>

  migrate                                   bring the database schema up to date
  user create --kind customer|staff --username U --email E --first-name F --last-name L
              [--phone P] [--admin] [--grant CODENAME]... --password-stdin
  grant --username U CODENAME...            grant permissions to a staff member
  revoke --username U CODENAME...           revoke permissions from a staff member
  role create NAME CODENAME...              create a role (a named group of permissions)
  role assign --username U NAME             give a staff member a role
  seed --demo                               create the demo users and print how to sign in
  seed --users N [--with-codes K] [--codes-out FILE]
                                            add N bulk users (1 to 10000000) for benchmarks: ~1% staff,
                                            ~20% with an authenticator app, K of those with backup codes
                                            (default 1000 with --codes-out, else none). They all share one
                                            password, printed once; FILE (mode 0600) gets the password, the
                                            shared TOTP secret and codes, and the usernames with codes.
                                            Refused with NODE_ENV=production
  audit seal                                seal the audit events written so far into the hash chain
                                            (a running server does this every second)
  audit verify                              check the audit log's hash chain; exit 1 naming the first
                                            changed or deleted event; prints the chain head to keep elsewhere

Permissions: users.generate_lockout_codes, users.view, users.change, audit.view, staff.manage
Environment: DATABASE_URL (else the embedded database in LATCHKEY_DATA_DIR, default ./data),
             LATCHKEY_SECRET (required with DATABASE_URL)`;

class UsageError extends Error {}

export interface CliIo {
  stdin: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Rewrites one status line in place; given only when standard error is a terminal. */
  status?: (line: string) => void;
}

export async function runCli(argv: string[], environment: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    // A command whose finding is not an error (a tampered audit log) exits non-zero through this.
    let exitCode = 0;
    const run = commandFor(command, rest, io, environment, (code) => {
      exitCode = code;
    });
    const config = loadConfig(environment);
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const { database, deps } = await compose(config, { holder: 'cli', logger });
    try {
      await run(deps);
    } finally {
      await database.close();
    }
    return exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`latchkey: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof AppError) {
      const fields = error.fields === undefined ? '' : Object.entries(error.fields).map(([field, message]) => `\n  ${field}: ${message}`).join('');
      io.err(`latchkey: ${error.message}${fields}`);
      return 1;
    }
    if (error instanceof ConfigError || error instanceof EmbeddedDatabaseInUseError) {
      io.err(`latchkey: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

function commandFor(
  command: string,
  args: string[],
  io: CliIo,
  environment: Record<string, string | undefined>,
  exitWith: (code: number) => void,
): (deps: Deps) => Promise<void> {
  switch (command) {
    case 'migrate':
      expectNoArgs(args);
      return async () => io.out('The database schema is up to date.');
    case 'user': {
      const [sub, ...rest] = args;
      if (sub !== 'create') throw new UsageError('unknown user command; did you mean `user create`?');
      const { values } = parse(rest, {
        kind: { type: 'string' },
        username: { type: 'string' },
        email: { type: 'string' },
        'first-name': { type: 'string' },
        'last-name': { type: 'string' },
        phone: { type: 'string' },
        admin: { type: 'boolean' },
        grant: { type: 'string', multiple: true },
        'password-stdin': { type: 'boolean' },
      });
      for (const required of ['kind', 'username', 'email', 'first-name', 'last-name'] as const) {
        if (values[required] === undefined) throw new UsageError(`user create needs --${required}`);
      }
      if (values.kind !== 'customer' && values.kind !== 'staff') throw new UsageError('--kind is customer or staff');
      if (values['password-stdin'] !== true) {
        throw new UsageError('user create reads the password from standard input: pass --password-stdin (never a password on the command line)');
      }
      const kind = values.kind;
      return async (deps) => {
        const password = (await io.stdin()).replace(/\r?\n$/, '');
        const user = await createUser(
          deps,
          {
            kind,
            username: values.username!,
            email: values.email!,
            firstName: values['first-name']!,
            lastName: values['last-name']!,
            phone: values.phone ?? null,
            isAdmin: values.admin ?? false,
            password,
          },
          cliMeta,
        );
        const grants = values.grant ?? [];
        if (grants.length > 0) {
          await changePermissions(deps, { change: 'grant', username: values.username!, codenames: grants, actorId: null, meta: cliMeta });
        }
        io.out(`Created ${kind} ${values.username} (${user.id})${grants.length > 0 ? ` with ${grants.join(', ')}` : ''}.`);
      };
    }
    case 'grant':
    case 'revoke': {
      const { values, positionals } = parse(args, { username: { type: 'string' } }, true);
      if (values.username === undefined || positionals.length === 0) throw new UsageError(`${command} needs --username and at least one CODENAME`);
      return async (deps) => {
        await changePermissions(deps, { change: command, username: values.username!, codenames: positionals, actorId: null, meta: cliMeta });
        io.out(`${command === 'grant' ? 'Granted' : 'Revoked'} ${positionals.join(', ')} ${command === 'grant' ? 'to' : 'from'} ${values.username}.`);
      };
    }
    case 'role': {
      const [sub, ...rest] = args;
      if (sub === 'create') {
        const { positionals } = parse(rest, {}, true);
        const [name, ...codenames] = positionals;
        if (name === undefined) throw new UsageError('role create needs a NAME and its CODENAMEs');
        return async (deps) => {
          await createRole(deps, { name, codenames, actorId: null, meta: cliMeta });
          io.out(`Created role ${name}${codenames.length > 0 ? ` with ${codenames.join(', ')}` : ''}.`);
        };
      }
      if (sub === 'assign') {
        const { values, positionals } = parse(rest, { username: { type: 'string' } }, true);
        const [name] = positionals;
        if (values.username === undefined || name === undefined || positionals.length !== 1) throw new UsageError('role assign needs --username and one role NAME');
        return async (deps) => {
          await assignRole(deps, { username: values.username!, roleName: name, actorId: null, meta: cliMeta });
          io.out(`Gave ${values.username} the role ${name}.`);
        };
      }
      throw new UsageError('unknown role command; use `role create` or `role assign`');
    }
    case 'seed': {
      const { values } = parse(args, { demo: { type: 'boolean' }, users: { type: 'string' }, 'with-codes': { type: 'string' }, 'codes-out': { type: 'string' } });
      if (values.users !== undefined) {
        if (values.demo === true) throw new UsageError('seed takes --demo or --users, not both');
        return seedUsersCommand(values.users, values['with-codes'], values['codes-out'], io, environment);
      }
      if (values.demo !== true) throw new UsageError('seed needs --demo or --users N');
      return async (deps) => {
        const created = await seedDemo(deps);
        io.out(created === null ? 'The demo users exist already.' : formatDemoCredentials(created, 'http://localhost:3000'));
      };
    }
    case 'audit': {
      const [sub, ...rest] = args;
      expectNoArgs(rest);
      if (sub === 'seal') {
        return async (deps) => {
          const sealed = await sealAuditEvents(deps);
          io.out(`Sealed ${sealed} audit event${sealed === 1 ? '' : 's'}.`);
        };
      }
      if (sub === 'verify') {
        return async (deps) => {
          const report = await verifyAuditChain(deps);
          // The whole hash: it is what an operator keeps outside the database (ASVS 16.4.3) to
          // find, later, a tail removed together with a head moved back to match.
          const head = `chain head seq ${report.head.seq} hash ${report.head.hash}; ${report.unsealedCount} not sealed yet`;
          const [first, ...others] = report.problems.map(describeChainProblem);
          if (first === undefined) {
            io.out(`audit log intact: ${report.sealedCount} events, ${head}`);
            return;
          }
          const unlisted = report.problemCount - report.problems.length;
          io.out(
            [
              `audit log TAMPERED: ${first}`,
              ...others.map((line) => `  ${line}`),
              ...(unlisted > 0 ? [`  … and ${unlisted} more`] : []),
              `${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} in ${report.sealedCount} sealed events, ${head}`,
            ].join('\n'),
          );
          exitWith(1);
        };
      }
      throw new UsageError('unknown audit command; use `audit seal` or `audit verify`');
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

function seedUsersCommand(
  usersArg: string,
  withCodesArg: string | undefined,
  codesOut: string | undefined,
  io: CliIo,
  environment: Record<string, string | undefined>,
): (deps: Deps) => Promise<void> {
  const users = wholeNumber('--users', usersArg);
  if (users < 1 || users > MAX_BULK_USERS) throw new UsageError(`--users is between 1 and ${MAX_BULK_USERS}`);
  if (withCodesArg !== undefined && codesOut === undefined) throw new UsageError('--with-codes needs --codes-out: codes nobody keeps are of no use');
  const ceiling = maxUsersWithBackupCodes(users);
  const withBackupCodes = withCodesArg === undefined ? (codesOut === undefined ? 0 : Math.min(DEFAULT_BULK_USERS_WITH_CODES, ceiling)) : wholeNumber('--with-codes', withCodesArg);
  if (withBackupCodes > ceiling) throw new UsageError(`--with-codes is at most ${ceiling} for ${users} users: the users with an authenticator app`);
  // Every bulk user has the same password: such accounts must never reach a live bank.
  if (environment.NODE_ENV === 'production') throw new ConfigError('seed --users is refused with NODE_ENV=production: every bulk user has the same password');
  return async (deps) => {
    // Opened (empty, owner-only) before the work starts, so a bad path fails in a second, not after a million rows.
    if (codesOut !== undefined) await rm(codesOut, { force: true });
    const file = codesOut === undefined ? null : await open(codesOut, 'wx', 0o600);
    try {
      const startedAt = performance.now();
      const result = await seedUsers(deps, { users, withBackupCodes, onProgress: progressReporter(io, startedAt) });
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      if (file !== null) await file.writeFile(`${JSON.stringify(bulkCredentials(result), null, 2)}\n`);
      const count = (value: number) => value.toLocaleString('en-US');
      io.out(
        [
          `Created ${count(result.users)} bulk users in ${seconds} s: ${count(result.staff)} staff (${count(result.staffWithPermissions)} with permissions), ` +
            `${count(result.withTotp)} with an authenticator app, ${count(result.withBackupCodes)} with backup codes.`,
          `Every bulk user's password, the same for all (benchmarks only): ${result.password}`,
          ...(codesOut === undefined ? [] : [`Their TOTP secret, backup codes and the usernames with codes are in ${codesOut}`]),
        ].join('\n'),
      );
    } finally {
      await file?.close();
    }
  };
}

/** What a benchmark needs to sign bulk users in, kept in --codes-out (owner-only). */
function bulkCredentials(result: BulkSeedResult) {
  return {
    password: result.password,
    totpSecret: result.totpSecret,
    backupCodes: result.backupCodes,
    usernamesWithBackupCodes: result.usernamesWithBackupCodes,
  };
}

const PROGRESS_BAR_WIDTH = 30;

/** A bar redrawn in place on a terminal; otherwise a line at each tenth, for logs. */
function progressReporter(io: CliIo, startedAt: number): (created: number, total: number) => void {
  let tenthsReported = 0;
  return (created, total) => {
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const counts = `${created.toLocaleString('en-US')}/${total.toLocaleString('en-US')} users`;
    if (io.status !== undefined) {
      const filled = Math.round((created / total) * PROGRESS_BAR_WIDTH);
      const done = created === total;
      io.status(`[${'#'.repeat(filled)}${'.'.repeat(PROGRESS_BAR_WIDTH - filled)}] ${Math.floor((created / total) * 100)}% ${counts} ${seconds} s${done ? '\n' : ''}`);
      return;
    }
    const tenths = Math.floor((created * 10) / total);
    if (tenths > tenthsReported) {
      tenthsReported = tenths;
      io.err(`seeded ${counts} (${tenths * 10}%) in ${seconds} s`);
    }
  };
}

function wholeNumber(option: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${option} takes a whole number`);
  return Number(value);
}

function expectNoArgs(args: string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected ${args.join(' ')}`);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options: options as NonNullable<O>, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
