// Child processes of a benchmark run (servers, the seeder, the balancer): every one is
// registered, and ended when the run ends, fails or is interrupted (Ctrl-C), so that no
// server outlives the run and holds its database open.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything written to stdout and stderr so far (kept for error messages; never printed whole). */
  output(): string;
  exited: Promise<number | null>;
}

const running = new Set<Child>();
const cleanups: (() => Promise<void>)[] = [];

export function startChild(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Child {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += String(chunk);
    // A chatty server must not grow the runner's memory: the tail is what errors need.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const entry: Child = {
    name,
    process: child,
    output: () => output,
    exited: new Promise((resolve) => child.on('exit', (code) => {
      running.delete(entry);
      resolve(code);
    })),
  };
  running.add(entry);
  return entry;
}

/** Waits for `pattern` in the child's output; fails with the output's tail when it exits or times out first. */
export async function waitForOutput(child: Child, pattern: RegExp, timeoutInMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutInMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const match = pattern.exec(child.output());
    if (match !== null) return match;
    if (exited) throw new Error(`${child.name} exited before it was ready:\n${tail(child.output())}`);
    if (Date.now() > deadline) throw new Error(`${child.name} not ready after ${timeoutInMs} ms:\n${tail(child.output())}`);
    await sleep(20);
  }
}

/** Runs a command to its end; throws with the output's tail on a non-zero exit. */
export async function runToEnd(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<string> {
  const child = startChild(name, command, args, options);
  const code = await child.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${tail(child.output())}`);
  return child.output();
}

/** SIGTERM (a graceful shutdown), then SIGKILL past the grace period. */
export async function stopChild(child: Child, graceInMs = 25_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceInMs);
  await child.exited;
  clearTimeout(timer);
}

/** Work to undo at the end of the run whatever happens (dropping the databases); run last registered first. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

let cleaningUp: Promise<void> | null = null;

export function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    await Promise.all([...running].map((child) => stopChild(child, 5_000)));
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`bench: cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  })();
  return cleaningUp;
}

/** Ctrl-C or a kill ends the children and drops the databases before the runner exits. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping servers and dropping the benchmark databases\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export async function residentMemoryInMiB(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kilobytes === undefined ? null : Number(kilobytes) / 1024;
  } catch {
    return null;
  }
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
