// A first embedded start copies the database made at build time (pglite-template.ts) instead
// of running initdb: the copy has every migration and works, and no database already in a
// data folder is ever replaced by it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../src/adapters/db/database.js';
import { migrate } from '../src/adapters/db/migrate.js';
import { buildPgliteTemplate, copyPgliteTemplate } from '../src/adapters/db/pglite-template.js';
import { cliMeta } from '../src/modules/audit/record-audit-event.js';
import { createRole } from '../src/modules/permissions/roles.js';
import { systemClock } from '../src/shared/clock.js';

const migrations = readdirSync(new URL('../src/adapters/db/migrations/', import.meta.url))
  .filter((name) => name.endsWith('.sql'))
  .sort();

let folder: string;
let template: string;
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'latchkey-template-'));
  template = join(folder, 'template');
  expect(await buildPgliteTemplate(template)).toBe('built');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A data folder as the server leaves it before the database opens: the folder and its secret. */
function serverDataFolder(name: string): string {
  const dataDir = join(folder, name);
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'secret'), 'the server secret\n');
  return dataDir;
}

const open = (dataDir: string) => openDatabase({ kind: 'pglite', dataDir }, { holder: 'server' });

it('is built again only when PGlite or a migration changes, and holds nothing of a server', async () => {
  expect(await buildPgliteTemplate(template)).toBe('up to date');
  const files = readdirSync(template);
  expect(files).toContain('PG_VERSION');
  expect(files).not.toContain('latchkey.lock');
  expect(files).not.toContain('secret');
});

it('gives a first start a database with every migration applied, which works and lasts', async () => {
  const dataDir = serverDataFolder('first-start');
  await copyPgliteTemplate(dataDir, template);

  const first = await open(dataDir);
  try {
    expect(await migrate(first.db)).toEqual([]);
    const applied = await sql<{ name: string }>`SELECT name FROM latchkey_migrations ORDER BY name`.execute(first.db);
    expect(applied.rows.map((row) => row.name)).toEqual(migrations);
    await createRole({ db: first.db, clock: systemClock }, { name: 'Help desk', codenames: ['users.view'], actorId: null, meta: cliMeta });
  } finally {
    await first.close();
  }

  const restarted = await open(dataDir);
  try {
    expect(await restarted.db.selectFrom('roles').select('name').execute()).toEqual([{ name: 'Help desk' }]);
    expect(await restarted.db.selectFrom('audit_events').select('type').execute()).toEqual([{ type: 'role.created' }]);
  } finally {
    await restarted.close();
  }
  expect(readFileSync(join(dataDir, 'secret'), 'utf8')).toBe('the server secret\n');
});

it('never copies over a database already in the folder', async () => {
  const dataDir = serverDataFolder('existing');
  await copyPgliteTemplate(dataDir, template);
  const database = await open(dataDir);
  try {
    await createRole({ db: database.db, clock: systemClock }, { name: 'Auditors', codenames: ['audit.view'], actorId: null, meta: cliMeta });
  } finally {
    await database.close();
  }

  await copyPgliteTemplate(dataDir, template);
  const reopened = await open(dataDir);
  try {
    expect(await reopened.db.selectFrom('roles').select('name').execute()).toEqual([{ name: 'Auditors' }]);
  } finally {
    await reopened.close();
  }

  // Whatever the database looks like: PG_VERSION alone marks the folder as taken.
  const foreign = serverDataFolder('foreign');
  writeFileSync(join(foreign, 'PG_VERSION'), '17\n');
  await copyPgliteTemplate(foreign, template);
  expect(readdirSync(foreign).sort()).toEqual(['PG_VERSION', 'secret']);
});

it('copies again over what a copy cut short left, since that left no PG_VERSION', async () => {
  const dataDir = serverDataFolder('interrupted');
  mkdirSync(join(dataDir, 'global'));
  writeFileSync(join(dataDir, 'global', 'pg_control'), 'half written');
  await copyPgliteTemplate(dataDir, template);
  expect(readFileSync(join(dataDir, 'global', 'pg_control'))).toEqual(readFileSync(join(template, 'global', 'pg_control')));
  const database = await open(dataDir);
  try {
    expect(await migrate(database.db)).toEqual([]);
  } finally {
    await database.close();
  }
});

it('leaves the folder to PGlite when no template was built', async () => {
  const dataDir = serverDataFolder('no-template');
  await copyPgliteTemplate(dataDir, join(folder, 'never-built'));
  expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
  expect(readdirSync(dataDir)).toEqual(['secret']);
});
