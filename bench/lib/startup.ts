// `npm start` after the build is `node dist/src/main.js` on the embedded database: how long
// from the process's spawn to its first answer (GET /healthz), on a fresh data folder (PGlite
// created, migrations, then the demo users, seeded after the server listens) and on a
// restart; and its resident memory once idle.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './latchkey.js';
import { freePort, residentMemoryInMiB, sleep, startChild, stopChild, waitForOutput } from './processes.js';

export interface StartupResult {
  firstStartInMs: number;
  restartInMs: number;
  idleMemoryInMiB: number | null;
  idleMemoryAfterRestartInMiB: number | null;
}

export async function measureEmbeddedStartup(idleInMs: number): Promise<StartupResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-embedded-'));
  try {
    const first = await startOnce(dataDir, idleInMs);
    const again = await startOnce(dataDir, idleInMs);
    return { firstStartInMs: first.firstAnswerInMs, restartInMs: again.firstAnswerInMs, idleMemoryInMiB: first.idleMemoryInMiB, idleMemoryAfterRestartInMiB: again.idleMemoryInMiB };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startOnce(dataDir: string, idleInMs: number): Promise<{ firstAnswerInMs: number; idleMemoryInMiB: number | null }> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = startChild('latchkey (embedded)', process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: 'warn' },
    cwd: ROOT,
  });
  try {
    const firstAnswerInMs = await firstAnswer(`http://127.0.0.1:${port}/healthz`, startedAt, child.exited);
    // The demo users' credentials are printed once the seeding after `listen` is done.
    await waitForOutput(child, /Latchkey is ready at/, 60_000);
    await sleep(idleInMs);
    return { firstAnswerInMs, idleMemoryInMiB: child.process.pid === undefined ? null : await residentMemoryInMiB(child.process.pid) };
  } finally {
    await stopChild(child);
  }
}

async function firstAnswer(url: string, startedAt: number, exited: Promise<number | null>): Promise<number> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (performance.now() - startedAt < 60_000) {
    if (gone) throw new Error('the embedded server exited before it answered');
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return performance.now() - startedAt;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error('the embedded server did not answer within 60 s');
}
