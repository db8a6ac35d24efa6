// The results: one row per scenario, printed as a table and kept in bench/results/latest.json
// (machine, versions, date) beside a Markdown copy of the table.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { LoadResult } from './load.js';

export interface Row {
  id: string;
  scenario: string;
  system: 'Latchkey' | 'Latchkey ×2' | 'baseline' | 'Better Auth' | 'argon2id';
  requestsPerSecond: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Share of answers with the status the scenario expects (e.g. 401 for a wrong code). */
  expectedShare: number | null;
  statuses: Record<string, number>;
  xBaseline: number | null;
  xPeer: number | null;
  target: string | null;
  met: boolean | null;
  note: string | null;
}

export function rowFrom(id: string, scenario: string, system: Row['system'], result: LoadResult, expectedStatus: number): Row {
  const expected = result.statuses[String(expectedStatus)] ?? 0;
  const answered = Object.values(result.statuses).reduce((sum, count) => sum + count, 0);
  return {
    id,
    scenario,
    system,
    requestsPerSecond: result.requestsPerSecond,
    p50: result.p50,
    p95: result.p95,
    p99: result.p99,
    expectedShare: answered === 0 ? null : expected / answered,
    statuses: result.statuses,
    xBaseline: null,
    xPeer: null,
    target: null,
    met: null,
    note: result.exhausted ? 'fixtures ran out before the duration' : null,
  };
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryInGiB: number;
  os: string;
  node: string;
  postgres: string;
  latchkeyCommit: string | null;
  loadAverageAtStart: number[];
  date: string;
}

export function describeMachine(postgres: string): Machine {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryInGiB: Math.round(totalmem() / 2 ** 30),
    os: `Linux ${release()}`,
    node: process.version,
    postgres,
    latchkeyCommit: commit,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    date: new Date().toISOString(),
  };
}

const number = (value: number | null, digits = 0) => (value === null || Number.isNaN(value) ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (value: number | null) => (value === null ? '—' : `${value.toFixed(2)}×`);
const milliseconds = (value: number | null) => (value === null || Number.isNaN(value) ? '—' : value < 10 ? value.toFixed(1) : value.toFixed(0));
const verdict = (row: Row) => (row.met === null ? '' : row.met ? 'met' : 'MISSED');

const COLUMNS = ['scenario', 'system', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'ok', '×baseline', '×peer', 'target', 'met?'];

function cells(row: Row): string[] {
  return [
    row.scenario,
    row.system,
    row.requestsPerSecond === 0 ? '—' : number(row.requestsPerSecond, row.requestsPerSecond < 100 ? 1 : 0),
    milliseconds(row.p50),
    milliseconds(row.p95),
    milliseconds(row.p99),
    row.expectedShare === null ? '—' : `${(row.expectedShare * 100).toFixed(row.expectedShare === 1 ? 0 : 1)}%`,
    ratio(row.xBaseline),
    ratio(row.xPeer),
    row.target ?? '',
    verdict(row),
  ];
}

export function formatTable(rows: Row[]): string {
  const table = [COLUMNS, ...rows.map(cells)];
  const widths = COLUMNS.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8]);
  const line = (values: string[]) => values.map((value, column) => (numeric.has(column) ? value.padStart(widths[column]!) : value.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map((row) => line(cells(row)))].join('\n');
}

export function formatMarkdown(rows: Row[]): string {
  const escape = (value: string) => value.replace(/\|/g, '\\|');
  return [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_, column) => ([2, 3, 4, 5, 6, 7, 8].includes(column) ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${cells(row).map(escape).join(' | ')} |`),
  ].join('\n');
}

export async function saveResults(directory: string, results: { machine: Machine; mode: string; settings: Record<string, unknown>; rows: Row[]; extra: Record<string, unknown> }): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(`${directory}/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  const notes = results.rows.filter((row) => row.note !== null).map((row) => `- ${row.scenario} (${row.system}): ${row.note}`);
  await writeFile(
    `${directory}/latest.md`,
    [
      `# Latest benchmark run (${results.mode})`,
      '',
      `${results.machine.date} — ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryInGiB} GiB, ${results.machine.os}, Node ${results.machine.node}, PostgreSQL ${results.machine.postgres}, Latchkey ${results.machine.latchkeyCommit ?? '(no commit)'}; load average at start ${results.machine.loadAverageAtStart.join(' ')}.`,
      '',
      formatMarkdown(results.rows),
      '',
      ...(notes.length === 0 ? [] : ['Notes:', '', ...notes, '']),
    ].join('\n'),
  );
}
