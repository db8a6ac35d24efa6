// PGlite is a single-process database: two processes on one data folder corrupt it. The
// first process to open the folder holds this lock file until it exits.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class EmbeddedDatabaseInUseError extends Error {
  override name = 'EmbeddedDatabaseInUseError';
}

export interface EmbeddedLock {
  release(): void;
}

export function lockEmbeddedDatabase(dataDir: string, holder: 'server' | 'cli'): EmbeddedLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'latchkey.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, holder }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner !== null && isAlive(owner.pid)) {
        const who = owner.holder === 'server' ? 'a running Latchkey server' : 'another latchkey command';
        throw new EmbeddedDatabaseInUseError(
          `The embedded database in ${dataDir} is in use by ${who} (pid ${owner.pid}). ` +
            'Stop it first, or run Latchkey on PostgreSQL (DATABASE_URL) to use the CLI while it serves.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new EmbeddedDatabaseInUseError(`Could not lock the embedded database in ${dataDir}.`);
}

function readOwner(path: string): { pid: number; holder: string } | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; holder?: unknown };
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, holder: String(parsed.holder) } : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
