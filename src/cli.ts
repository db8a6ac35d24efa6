// The `latchkey` command line (SPEC §8): against DATABASE_URL when set, else the embedded
// database in LATCHKEY_DATA_DIR. It refuses to open an embedded database a server holds.
import { parseArgs } from 'node:util';
import { compose } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { EmbeddedDatabaseInUseError } from './adapters/db/embedded-lock.js';
import { cliMeta } from './modules/audit/record-audit-event.js';
import type { Deps } from './modules/deps.js';
import { changePermissions } from './modules/permissions/change-permissions.js';
import { assignRole, createRole } from './modules/permissions/roles.js';
import { formatDemoCredentials, seedDemo } from './modules/seed/seed-demo.js';
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

Permissions: users.generate_lockout_codes, users.view, users.change, audit.view, staff.manage
Environment: DATABASE_URL (else the embedded database in LATCHKEY_DATA_DIR, default ./data),
             LATCHKEY_SECRET (required with DATABASE_URL)`;

class UsageError extends Error {}

export interface CliIo {
  stdin: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function runCli(argv: string[], environment: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const run = commandFor(command, rest, io);
    const config = loadConfig(environment);
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const { database, deps } = await compose(config, { holder: 'cli', logger });
    try {
      await run(deps);
    } finally {
      await database.close();
    }
    return 0;
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

function commandFor(command: string, args: string[], io: CliIo): (deps: Deps) => Promise<void> {
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
      const { values } = parse(args, { demo: { type: 'boolean' } });
      if (values.demo !== true) throw new UsageError('seed needs --demo');
      return async (deps) => {
        const created = await seedDemo(deps);
        io.out(created === null ? 'The demo users exist already.' : formatDemoCredentials(created, 'http://localhost:3000'));
      };
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
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
