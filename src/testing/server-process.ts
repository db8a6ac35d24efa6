// The real entry point (src/main.ts) in a child process, for tests of what only a whole
// process shows: signals, exit codes, its log, surviving a database outage.
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  /** http://localhost:PORT, as the server printed it. */
  url: string;
  port: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; at: number }>;
}

export interface LogLine {
  level?: number;
  msg?: string;
}

/** Starts the server (PORT 0, info-level log: Fastify logs each request in and out) and waits for its ready line. */
export function startServerProcess(environment: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', LATCHKEY_LOG_LEVEL: 'info', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line after 60 s:\n${output}`)), 60_000);
    child.stdout?.on('data', () => {
      const ready = /Latchkey is ready at (http:\/\/localhost:(\d+))/.exec(output);
      if (ready === null) return;
      clearTimeout(timer);
      resolve({ child, url: ready[1]!, port: Number(ready[2]), output: () => output, exited });
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** The JSON log lines of the output, in order. */
export function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}
