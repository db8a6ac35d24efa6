// A PostgreSQL server of a test's own, to stop and start under load: the shared one at
// TEST_DATABASE_URL serves every other test at the same time and must never go down.
// PostgreSQL refuses to run as root, so as root (as in CI) its binaries run as `postgres`.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INSTALLATIONS = '/usr/lib/postgresql';

export interface PrivatePostgres {
  url: string;
  /** `immediate` is a crash (recovery at the next start); `fast` a clean shutdown. */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest installed server's bin folder, or why a private server cannot run here. */
export function findPostgresBinaries(): { bin: string } | { missing: string } {
  const versions = existsSync(INSTALLATIONS)
    ? readdirSync(INSTALLATIONS).filter((name) => existsSync(join(INSTALLATIONS, name, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) return { missing: `no PostgreSQL server binaries (initdb) under ${INSTALLATIONS}` };
  if (process.getuid?.() === 0) {
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', 'true'], { stdio: 'ignore' });
    } catch {
      return { missing: 'running as root without a `postgres` OS user (or runuser) to run PostgreSQL as' };
    }
  }
  return { bin: join(INSTALLATIONS, newest, 'bin') };
}

export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : null;
  const folder = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
  if (owner !== null) chownSync(folder, owner.uid, owner.gid);
  const dataDir = join(folder, 'data');
  const port = await freePort();
  const pgCtl = (...args: string[]) => {
    const command = [join(bin, 'pg_ctl'), '-D', dataDir, ...args];
    return asRoot ? run('runuser', ['-u', 'postgres', '--', ...command]) : run(command[0]!, command.slice(1));
  };
  const initdb = [join(bin, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync'];
  await (asRoot ? run('runuser', ['-u', 'postgres', '--', ...initdb]) : run(initdb[0]!, initdb.slice(1)));
  const serverOptions = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await pgCtl('start', '-w', '-t', '60', '-l', join(folder, 'server.log'), '-o', serverOptions);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async (mode) => {
      await pgCtl('stop', '-w', '-t', '60', '-m', mode);
    },
    start,
    destroy: async () => {
      await pgCtl('stop', '-w', '-m', 'immediate').catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
