// `npm run bench [-- --quick] [-- --users N] [-- --single]`: Latchkey measured as a bank
// choosing between it and the alternatives would, in one run on one machine, every figure a
// ratio against a baseline and a peer measured in the same run (docs/PERFORMANCE.md).
//
// Order: the embedded start and raw argon2id while the machine is quiet; the fresh databases
// and the bulk users; the baseline; Better Auth; Latchkey's scenarios; two Latchkey processes
// behind a loopback balancer, with the safety checks under load. Whatever happens, the
// servers are stopped and the databases dropped.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { type Check, checkAccountLock, checkAddressLimit, checkSingleUse } from './lib/checks.js';
import { type LatchkeyServer, ROOT, UserPool, mintSessions, seedLatchkey, sessionCookie, startLatchkey } from './lib/latchkey.js';
import { type Once, type PlannedRequest, cycle, drive, requestsOnce } from './lib/load.js';
import { installPeer, peerVersion, probePeer, startPeer } from './lib/peer.js';
import { DEFAULT_DATABASE_URL, createFreshDatabase, postgresVersion } from './lib/postgres.js';
import { cleanUp, cleanUpOnSignals, freePort, onCleanup, residentMemoryInMiB, runToEnd, sleep, startChild, stopChild, waitForOutput } from './lib/processes.js';
import { type Row, describeMachine, formatTable, rowFrom, saveResults } from './lib/report.js';
import { baseline, betterAuth, client, latchkey, wrongBetterAuthCode, wrongLatchkeyCode } from './lib/requests.js';
import { measureEmbeddedStartup } from './lib/startup.js';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean' }, users: { type: 'string' }, single: { type: 'boolean' } },
  strict: true,
});
const quick = flags.quick === true;
const settings = {
  users: flags.users === undefined ? (quick ? 1_000 : 1_000_000) : Number(flags.users),
  durationInSeconds: quick ? 1 : 10,
  // Quick mode has no warm-up: its small pools of once-only fixtures go to the run itself.
  warmupInSeconds: quick ? 0 : 2,
  connections: 16,
  // A help desk is a few people searching, not a crowd: latency, not throughput, is the point.
  searchConnections: 4,
  argon2Seconds: quick ? 1 : 10,
  idleInMs: quick ? 500 : 5_000,
  peerUsers: quick ? 60 : 3_000,
  activeSessions: quick ? 200 : 2_000,
};
// Users with backup codes: at most a fifth of the bulk users (those with an authenticator app).
const withCodes = Math.min(quick ? 60 : 20_000, Math.floor(settings.users / 10));
// Fixtures per scenario: enough for its warm-up and run at the given rate, and half as many again.
const budget = (maxRate: number) => Math.ceil(maxRate * (settings.warmupInSeconds + settings.durationInSeconds) * 1.5);

const serverUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const rows: Row[] = [];
const extra: Record<string, unknown> = {};
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'latchkey-bench-'));
  onCleanup(() => rm(work, { recursive: true, force: true }));
  const machine = describeMachine(await postgresVersion(serverUrl));
  say(`${quick ? 'quick (smoke, not for numbers)' : 'full'} run: ${settings.users.toLocaleString('en-US')} users, ${settings.durationInSeconds} s per scenario`);

  say('embedded start and idle memory');
  const startup = await measureEmbeddedStartup(settings.idleInMs);
  extra.embeddedStartup = startup;

  say('raw argon2id at Latchkey\'s password parameters');
  const argon2Output = await runToEnd('argon2', process.execPath, ['--import', 'tsx', 'bench/argon2/raw-hash.ts', String(settings.argon2Seconds)], { env: { PATH: process.env.PATH, ...threadPool() }, cwd: ROOT });
  const hashesPerSecond = Number(/hashes\/s ([\d.]+)/.exec(argon2Output)?.[1]);
  rows.push({ ...emptyRow('argon2', 'argon2id verify, m=19 MiB t=2 p=1', 'argon2id'), requestsPerSecond: hashesPerSecond, note: `hashes/s on all cores (UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default 4'})` });

  const secret = randomBytes(32).toString('base64url');
  const databaseUrl = await createFreshDatabase(serverUrl, 'latchkey_bench');
  say(`seeding ${settings.users.toLocaleString('en-US')} users (${withCodes.toLocaleString('en-US')} with backup codes)`);
  const seeded = await seedLatchkey({ databaseUrl, secret }, { users: settings.users, withCodes, codesFile: join(work, 'codes.json') });
  extra.seedSeconds = Math.round(seeded.seconds * 10) / 10;
  const { credentials } = seeded;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  onCleanup(() => pool.end());
  const users = new UserPool(pool);
  const codeUsers = await users.customersWithCodes(credentials.usernamesWithBackupCodes, credentials.usernamesWithBackupCodes.length);
  const singleCodeUsers = codeUsers.slice(0, Math.floor(codeUsers.length * 0.45));
  const clusterCodeUsers = codeUsers.slice(singleCodeUsers.length, singleCodeUsers.length * 2);
  const checkCodeUsers = codeUsers.slice(singleCodeUsers.length * 2);

  // Signed-in customers: GET /me, and the baseline's SELECT of the same rows.
  const meUsers = await users.customersWithoutFactors(settings.activeSessions);
  const signedIn = (await mintSessions(pool, meUsers.map((user) => user.id), { surface: 'banking', state: 'active' })).map((token) => client(sessionCookie('banking', token)));

  say('baseline: bare Fastify + pg, one indexed SELECT');
  const baselineRow = await measureBaseline(databaseUrl, signedIn);

  say(`peer: Better Auth`);
  const peerRows = await measurePeer(work);
  extra.peer = { name: 'better-auth', version: await peerVersion() };

  say('Latchkey, one process');
  const server = await startLatchkey('latchkey', { databaseUrl, secret });
  extra.idleMemoryOnPostgresInMiB = await idleMemory(server);
  const single = await measureLatchkey(server, 'Latchkey', { pool, users, credentials, signedIn, codeUsers: singleCodeUsers, peerRows });
  extra.memoryAfterLoadInMiB = await idleMemory(server);
  await stopChild(server.child);

  for (const row of rows.filter((candidate) => candidate.system !== 'baseline' && candidate.system !== 'argon2id')) {
    row.xBaseline = row.requestsPerSecond / baselineRow.requestsPerSecond;
  }
  judge(single, peerRows, baselineRow, hashesPerSecond, startup.firstStartInMs);

  if (flags.single !== true) {
    say('Latchkey, two processes behind a loopback balancer, counters in Redis');
    extra.checks = await measureCluster({ databaseUrl, secret, pool, users, credentials, signedIn, codeUsers: clusterCodeUsers, checkCodeUsers, baselineRow });
  }

  const results = { machine, mode: quick ? 'quick' : 'full', settings: { ...settings, withCodes, peerVersion: extra.peer }, rows, extra };
  await saveResults(join(ROOT, quick ? 'bench/results/quick' : 'bench/results'), results);
  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  process.stdout.write(`embedded start to first answer: ${startup.firstStartInMs.toFixed(0)} ms fresh, ${startup.restartInMs.toFixed(0)} ms restart; idle memory ${startup.idleMemoryInMiB?.toFixed(0)} MiB (embedded), ${(extra.idleMemoryOnPostgresInMiB as number | null)?.toFixed(0)} MiB (PostgreSQL), ${(extra.memoryAfterLoadInMiB as number | null)?.toFixed(0)} MiB after the load\n`);
  for (const check of (extra.checks as Check[] | undefined) ?? []) process.stdout.write(`${check.passed ? 'held ' : 'BROKE'}  ${check.name}: ${check.detail}\n`);
  process.stdout.write(`\nresults: bench/results/${quick ? 'quick/' : ''}latest.json and latest.md\n`);
  if (((extra.checks as Check[] | undefined) ?? []).some((check) => !check.passed)) process.exitCode = 1;
}

function emptyRow(id: string, scenario: string, system: Row['system']): Row {
  return { id, scenario, system, requestsPerSecond: 0, p50: null, p95: null, p99: null, expectedShare: null, statuses: {}, xBaseline: null, xPeer: null, target: null, met: null, note: null };
}

function threadPool(): Record<string, string> {
  return process.env.UV_THREADPOOL_SIZE === undefined ? {} : { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE };
}

async function idleMemory(server: LatchkeyServer): Promise<number | null> {
  await sleep(settings.idleInMs);
  return server.child.process.pid === undefined ? null : residentMemoryInMiB(server.child.process.pid);
}

async function load(origin: string, next: (() => PlannedRequest) | Once<PlannedRequest>, options: { connections?: number; overallRate?: number } = {}) {
  return drive({
    origin,
    next,
    ...('remaining' in next ? { remaining: next.remaining } : {}),
    connections: options.connections ?? settings.connections,
    durationInSeconds: settings.durationInSeconds,
    warmupInSeconds: settings.warmupInSeconds,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
  });
}

async function measureBaseline(databaseUrl: string, signedIn: ReturnType<typeof client>[]): Promise<Row> {
  const port = await freePort();
  const child = startChild('baseline', process.execPath, ['--import', 'tsx', 'bench/baseline/server.ts'], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, PORT: String(port), NODE_ENV: 'production' }, cwd: ROOT });
  await waitForOutput(child, /ready/, 30_000);
  const next = cycle(signedIn);
  const row = rowFrom('baseline', 'one indexed SELECT (session by token)', 'baseline', await load(`http://127.0.0.1:${port}`, () => baseline.session(next())), 200);
  row.xBaseline = 1;
  rows.push(row);
  await stopChild(child);
  return row;
}

interface PeerRows {
  getSession: Row;
  wrongCode: Row;
  rightCode: Row;
}

async function measurePeer(work: string): Promise<PeerRows> {
  await installPeer();
  const databaseUrl = await createFreshDatabase(serverUrl, 'better_auth_bench');
  const peer = await startPeer(databaseUrl, join(work, 'peer-fixtures.json'), {
    users: settings.peerUsers,
    pendingRight: quick ? 500 : budget(500),
    pendingWrong: quick ? 250 : budget(500),
    sessions: settings.activeSessions,
  });
  extra.peerProbe = (await probePeer(peer)) ? 'a real sign-in and verify-backup-code answered as the fixtures do' : 'FAILED: the real sign-in flow did not verify';
  const sessions = cycle(peer.fixtures.sessions.map((cookie) => client(cookie)));
  const getSession = rowFrom('peer-get-session', 'get-session', 'Better Auth', await load(peer.origin, () => betterAuth.getSession(sessions())), 200);
  const wrong = requestsOnce(peer.fixtures.wrongCodes.map(({ cookie }) => client(cookie)), (challenge) => betterAuth.verifyBackupCode(peer.origin, challenge, wrongBetterAuthCode()));
  const wrongCode = rowFrom('peer-wrong-code', 'verify-backup-code, wrong code', 'Better Auth', await load(peer.origin, wrong), 401);
  const right = requestsOnce(peer.fixtures.rightCodes.map(({ cookie, code }) => ({ challenge: client(cookie), code })), (next) => betterAuth.verifyBackupCode(peer.origin, next.challenge, next.code));
  const rightCode = rowFrom('peer-right-code', 'verify-backup-code, right codes', 'Better Auth', await load(peer.origin, right), 200);
  rows.push(getSession, wrongCode, rightCode);
  await stopChild(peer.child);
  return { getSession, wrongCode, rightCode };
}

interface LatchkeyContext {
  pool: pg.Pool;
  users: UserPool;
  credentials: Awaited<ReturnType<typeof seedLatchkey>>['credentials'];
  signedIn: ReturnType<typeof client>[];
  codeUsers: Awaited<ReturnType<UserPool['customersWithCodes']>>;
}

/** Pending sessions for right backup codes: a user's next code only once every other user has spent one. */
async function rightCodeRequests(context: LatchkeyContext, origin: string, count: number): Promise<Once<PlannedRequest>> {
  const { codeUsers, credentials } = context;
  const plan = Array.from({ length: Math.min(count, codeUsers.length * credentials.backupCodes.length) }, (_, index) => ({
    user: codeUsers[index % codeUsers.length]!,
    code: credentials.backupCodes[Math.floor(index / codeUsers.length)]!,
  }));
  const tokens = await mintSessions(context.pool, plan.map((entry) => entry.user.id), { surface: 'banking', state: 'pending' });
  return requestsOnce(plan.map((entry, index) => ({ pending: client(sessionCookie('banking', tokens[index]!)), code: entry.code })), (entry) => latchkey.verifyBackupCode(origin, entry.pending, entry.code));
}

/** Pending sessions each spending one wrong code; at most 5 per user, half the account's lock. */
async function wrongCodeRequests(context: LatchkeyContext, origin: string, count: number): Promise<Once<PlannedRequest>> {
  const victims = await context.users.customersWithoutFactors(Math.ceil(count / 5));
  const userIds = Array.from({ length: Math.min(count, victims.length * 5) }, (_, index) => victims[index % victims.length]!.id);
  const tokens = await mintSessions(context.pool, userIds, { surface: 'banking', state: 'pending' });
  return requestsOnce(tokens.map((token) => client(sessionCookie('banking', token))), (pending) => latchkey.verifyBackupCode(origin, pending, wrongLatchkeyCode()));
}

async function measureLatchkey(server: LatchkeyServer, system: Row['system'], context: LatchkeyContext & { peerRows: PeerRows }): Promise<Row[]> {
  const { origin } = server;
  const { pool, users, credentials, peerRows } = context;
  const measured: Row[] = [];
  const add = (row: Row) => {
    measured.push(row);
    rows.push(row);
    return row;
  };

  const me = cycle(context.signedIn);
  add(rowFrom('me', 'GET /me', system, await load(origin, () => latchkey.me(me())), 200));

  const wrongRow = add(rowFrom('wrong-code', 'backup-code verify, wrong code', system, await load(origin, await wrongCodeRequests(context, origin, quick ? 600 : budget(1_500))), 401));
  const rightRow = add(rowFrom('right-code', 'backup-code verify, right codes', system, await load(origin, await rightCodeRequests(context, origin, quick ? 300 : budget(600))), 200));
  // The latency target holds "at that load": three times the peer's rate, offered at a fixed pace.
  for (const [row, peer, requests] of [
    [rightRow, peerRows.rightCode, (count: number) => rightCodeRequests(context, origin, count)],
    [wrongRow, peerRows.wrongCode, (count: number) => wrongCodeRequests(context, origin, count)],
  ] as const) {
    const rate = Math.round(peer.requestsPerSecond * 3);
    if (row.requestsPerSecond < rate || rate === 0) continue;
    const paced = rowFrom(`${row.id}-paced`, `${row.scenario} at 3× peer rate`, system, await load(origin, await requests(Math.ceil(rate * (settings.durationInSeconds + settings.warmupInSeconds) * 1.2)), { overallRate: rate }), row.id === 'right-code' ? 200 : 401);
    add(paced);
  }

  const totpUsers = await users.customersWithTotp(quick ? 80 : budget(1_500));
  const totpTokens = await mintSessions(pool, totpUsers.map((user) => user.id), { surface: 'banking', state: 'pending' });
  const totp = requestsOnce(totpUsers.map((user, index) => ({ pending: client(sessionCookie('banking', totpTokens[index]!)), factorId: user.factorId! })), (next) =>
    latchkey.verifyTotp(origin, next.pending, next.factorId, credentials.totpSecret));
  add(rowFrom('totp', 'TOTP verify', system, await load(origin, totp), 200));

  const signers = requestsOnce(await users.customersWithTotp(quick ? 50 : budget(150)), (user) => latchkey.login(origin, user.username, credentials.password));
  add(rowFrom('password', 'sign-in, password step', system, await load(origin, signers), 200));

  const issuers = await users.staffWith('users.generate_lockout_codes', 8);
  const issuerTokens = await mintSessions(pool, issuers.map((user) => user.id), { surface: 'admin', state: 'active' });
  const staff = cycle(issuerTokens.map((token) => client(sessionCookie('admin', token))));
  const targets = requestsOnce(await users.customersWithoutFactors(quick ? 100 : budget(100)), (target) => latchkey.generateBackupCodes(origin, staff(), target.id));
  add(rowFrom('generate', 'backup codes generated by staff', system, await load(origin, targets), 201));

  const viewers = await users.staffWith('users.view', 4);
  const viewerTokens = await mintSessions(pool, viewers.map((user) => user.id), { surface: 'admin', state: 'active' });
  const viewer = cycle(viewerTokens.map((token) => client(sessionCookie('admin', token))));
  const searches: [string, string, string[]][] = [
    ['search-name', 'admin search, name prefix', ['ma', 'smi', 'garc', 'joh', 'mül', 'lef', 'maria g', 'wil', 'an', 'o\'b']],
    ['search-email', 'admin search, email prefix', ['james.s', 'jsmi', 'smith.j', 'mgarc', 'anna.', 'lmart', 'sm', 'brown.w']],
  ];
  for (const [id, scenario, queries] of searches) {
    const query = cycle(queries);
    add(rowFrom(id, `${scenario} (${settings.users.toLocaleString('en-US')} users)`, system, await load(origin, () => latchkey.searchUsers(viewer(), query()), { connections: settings.searchConnections }), 200));
  }
  return measured;
}

function judge(latchkeyRows: Row[], peer: PeerRows, baselineRow: Row, hashesPerSecond: number, firstStartInMs: number): void {
  const find = (id: string) => latchkeyRows.find((row) => row.id === id);
  for (const [id, peerRow] of [['right-code', peer.rightCode], ['wrong-code', peer.wrongCode]] as const) {
    const row = find(id);
    if (row === undefined) continue;
    row.xPeer = row.requestsPerSecond / peerRow.requestsPerSecond;
    const paced = find(`${id}-paced`);
    const p99 = paced?.p99 ?? row.p99 ?? Number.POSITIVE_INFINITY;
    row.target = `≥ 3× peer; p99 ≤ 25 ms at 3× peer (${paced === undefined ? 'not reached' : `${p99.toFixed(1)} ms`})`;
    row.met = row.xPeer >= 3 && paced !== undefined && p99 <= 25;
    if (paced !== undefined) {
      paced.xPeer = paced.requestsPerSecond / peerRow.requestsPerSecond;
      paced.target = 'p99 ≤ 25 ms';
      paced.met = p99 <= 25;
    }
  }
  const me = find('me');
  if (me !== undefined) {
    me.xPeer = me.requestsPerSecond / peer.getSession.requestsPerSecond;
    me.target = '≥ 5× peer, ≥ 0.25× baseline';
    me.met = me.xPeer >= 5 && (me.xBaseline ?? 0) >= 0.25;
  }
  const password = find('password');
  if (password !== undefined) {
    const share = password.requestsPerSecond / hashesPerSecond;
    password.target = `≥ 90% of raw argon2id (${(share * 100).toFixed(0)}%)`;
    password.met = share >= 0.9;
  }
  for (const id of ['search-name', 'search-email']) {
    const row = find(id);
    if (row === undefined) continue;
    row.target = 'p95 ≤ 20 ms';
    row.met = (row.p95 ?? Number.POSITIVE_INFINITY) <= 20;
  }
  rows.push({ ...emptyRow('startup', 'embedded start to first answer (fresh)', 'Latchkey'), p50: firstStartInMs, target: '≤ 1500 ms', met: firstStartInMs <= 1500, note: 'a single time in ms, shown under p50' });
  void baselineRow;
}

async function measureCluster(context: LatchkeyContext & { databaseUrl: string; secret: string; checkCodeUsers: LatchkeyContext['codeUsers']; baselineRow: Row }): Promise<Check[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    say(`Redis at ${redisUrl} does not answer: the two-instance run needs it for the shared counters; skipped`);
    redis.disconnect();
    return [];
  }
  redis.disconnect();
  const servers = [
    await startLatchkey('latchkey-1', { databaseUrl: context.databaseUrl, secret: context.secret, redisUrl }),
    await startLatchkey('latchkey-2', { databaseUrl: context.databaseUrl, secret: context.secret, redisUrl }),
  ];
  const balancerPort = await freePort();
  const balancer = startChild('balancer', process.execPath, ['--import', 'tsx', 'bench/balancer/balancer.ts', ...servers.map((server) => server.origin.replace('http://', ''))], { env: { PATH: process.env.PATH, PORT: String(balancerPort) }, cwd: ROOT });
  await waitForOutput(balancer, /ready/, 30_000);
  const origin = `http://127.0.0.1:${balancerPort}`;
  const system = 'Latchkey ×2';

  const me = cycle(context.signedIn);
  const meRow = rowFrom('cluster-me', 'GET /me', system, await load(origin, () => latchkey.me(me())), 200);
  const rightRow = rowFrom('cluster-right-code', 'backup-code verify, right codes', system, await load(origin, await rightCodeRequests(context, origin, quick ? 300 : budget(600))), 200);
  const wrongRow = rowFrom('cluster-wrong-code', 'backup-code verify, wrong code', system, await load(origin, await wrongCodeRequests(context, origin, quick ? 600 : budget(1_500))), 401);
  for (const row of [meRow, rightRow, wrongRow]) {
    row.xBaseline = row.requestsPerSecond / context.baselineRow.requestsPerSecond;
    rows.push(row);
  }

  // The checks run while the two instances serve a steady load of GET /me through the balancer.
  say('safety checks under load');
  const background = drive({ origin, next: () => latchkey.me(me()), connections: 8, durationInSeconds: quick ? 4 : 10, warmupInSeconds: 0 });
  await sleep(500);
  const [raceUser, lockUser] = context.checkCodeUsers;
  const checks: Check[] = [];
  if (raceUser !== undefined && lockUser !== undefined) {
    checks.push(await checkSingleUse(context.pool, origin, raceUser, context.credentials.backupCodes[0]!, 10));
    checks.push(await checkAccountLock(context.pool, origin, lockUser, context.credentials.backupCodes[0]!));
  }
  checks.push(await checkAddressLimit(context.pool, origin, await context.users.customersWithoutFactors(55)));
  extra.backgroundLoadDuringChecks = await background;
  await stopChild(balancer);
  await Promise.all(servers.map((server) => stopChild(server.child)));
  return checks;
}

cleanUpOnSignals();
try {
  await main();
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
