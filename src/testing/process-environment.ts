// The environment a real `latchkey` process (the CLI in-process, or the server as a child)
// gets in a test: the embedded database in a fresh folder, or a fresh schema of the test
// PostgreSQL named in DATABASE_URL — with a way to look into that database afterwards and
// to run the CLI on it capturing what it prints.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, type Engine, openDatabase } from '../adapters/db/database.js';
import { runCli } from '../cli.js';
import { loadConfig } from '../config.js';
import { TEST_POSTGRES_URL } from './databases.js';

export interface ProcessEnvironment {
  environment: Record<string, string>;
  /** A folder of the test's own (the embedded database lives in `data` below it). */
  folder: string;
  /** Opens the database the way the CLI does, hands it to `read`, closes it. */
  inspect<T>(read: (database: Database) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

export async function freshProcessEnvironment(engine: Engine, options: { name: string; logLevel?: string }): Promise<ProcessEnvironment> {
  const folder = mkdtempSync(join(tmpdir(), `latchkey-${options.name}-`));
  const logging: Record<string, string> = options.logLevel === undefined ? {} : { LATCHKEY_LOG_LEVEL: options.logLevel };
  let environment: Record<string, string>;
  let dropSchema = async () => {};
  if (engine === 'pglite') {
    environment = { LATCHKEY_DATA_DIR: join(folder, 'data'), ...logging };
  } else {
    const schema = `${options.name.replace(/\W/g, '_')}_${randomBytes(6).toString('hex')}`;
    await withPostgres((client) => client.query(`CREATE SCHEMA ${schema}`));
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    // Names the process's connections, so a test can find (or end) exactly those.
    url.searchParams.set('application_name', schema);
    environment = { DATABASE_URL: url.toString(), LATCHKEY_SECRET: 'process-test-secret-0123456789-0123456789', ...logging };
    dropSchema = () => withPostgres((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
  }
  return {
    environment,
    folder,
    inspect: async (read) => {
      const database = await openDatabase(loadConfig(environment).database, { holder: 'cli' });
      try {
        return await read(database);
      } finally {
        await database.close();
      }
    },
    cleanup: async () => {
      await dropSchema();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** `latchkey …` in-process, with what it prints collected; `status` lines only when asked for. */
export async function runCliCapturing(
  environment: Record<string, string>,
  args: string[],
  options: { stdin?: string; status?: string[] } = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { status } = options;
  const code = await runCli(args, environment, {
    stdin: async () => options.stdin ?? '',
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    ...(status === undefined ? {} : { status: (line: string) => status.push(line) }),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function withPostgres(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
