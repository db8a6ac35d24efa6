// Drives a server over loopback with autocannon (as a library): a warm-up, then the measured
// run. Every request comes from `next()`, so that each can carry its own session, code and
// client address; latency percentiles are computed here from every response's time, since
// autocannon's own summary has no p95.
import autocannon from 'autocannon';

export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** The server's origin, e.g. http://127.0.0.1:3000. */
  origin: string;
  connections: number;
  durationInSeconds: number;
  warmupInSeconds: number;
  /** The next request to send, or null once the fixtures are spent. */
  next: () => PlannedRequest | null;
  /** How many requests `next` still has, for fixtures that can be used once; absent, it never runs out. */
  remaining?: () => number;
  /** A fixed total rate (requests per second) instead of as fast as the server answers. */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Responses by HTTP status, and `error` for a connection error or time-out. */
  statuses: Record<string, number>;
  /** The fixtures ran out before the duration did. */
  exhausted: boolean;
}

// Built, never sent: autocannon may build one request past `amount` before it stops a connection.
const SPENT: PlannedRequest = { method: 'GET', path: '/bench-fixtures-spent', headers: {} };

export async function drive(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupInSeconds > 0) await runOnce(options, options.warmupInSeconds);
  return runOnce(options, options.durationInSeconds);
}

function runOnce(options: LoadOptions, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    // Fixtures used once: exactly as many requests as are left (autocannon's `amount`), and the
    // duration enforced here, since `amount` makes autocannon ignore it.
    const amount = options.remaining?.();
    if (amount === 0) {
      resolve({ requests: 0, seconds: 0, requestsPerSecond: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, statuses, exhausted: true });
      return;
    }
    const startedAt = performance.now();
    const instance = autocannon(
      {
        url: options.origin,
        connections: amount === undefined ? options.connections : Math.min(options.connections, amount),
        duration: seconds,
        ...(amount === undefined ? {} : { amount }),
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        timeout: 10,
        // How often autocannon looks at its stop flag: a run ends within this of its duration.
        sampleInt: 100,
        requests: [
          {
            setupRequest: (request) => {
              const planned = options.next() ?? SPENT;
              return { ...request, method: planned.method, path: planned.path, headers: planned.headers, body: planned.body ?? '' };
            },
          },
        ],
      },
      (error) => {
        if (error !== null && error !== undefined) {
          reject(error);
          return;
        }
        const elapsed = (performance.now() - startedAt) / 1000;
        latencies.sort((a, b) => a - b);
        resolve({
          requests: latencies.length,
          seconds: elapsed,
          requestsPerSecond: latencies.length / elapsed,
          p50: percentile(latencies, 0.5),
          p95: percentile(latencies, 0.95),
          p99: percentile(latencies, 0.99),
          statuses,
          exhausted: amount !== undefined && latencies.length >= amount,
        });
      },
    );
    if (amount !== undefined) {
      const timer = setTimeout(() => instance.stop(), seconds * 1000);
      instance.on('done', () => clearTimeout(timer));
    }
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
    });
    instance.on('reqError', () => {
      statuses.error = (statuses.error ?? 0) + 1;
    });
  });
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/**
 * Client addresses for X-Forwarded-For, from 198.18.0.0/15 (RFC 2544: set aside for
 * benchmarks, never routed). They are header values only: no packet goes to them. One
 * address stands for one client (a session, a sign-in), as behind a real load balancer.
 */
let addressesGiven = 0;
const ADDRESS_POOL_SIZE = 2 ** 17;

export function nextClientAddress(): string {
  const index = addressesGiven % ADDRESS_POOL_SIZE;
  addressesGiven += 1;
  return `198.${18 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
}

/** A round-robin iterator over fixtures that never runs out (for read-only requests such as GET /me). */
export function cycle<T>(items: T[]): () => T {
  if (items.length === 0) throw new Error('cycle: no items');
  let index = 0;
  return () => items[index++ % items.length]!;
}

/** Fixtures used once each, then null; `remaining` tells how many are left. */
export interface Once<T> {
  (): T | null;
  remaining: () => number;
}

export function once<T>(items: T[]): Once<T> {
  let index = 0;
  const next = () => (index < items.length ? items[index++]! : null);
  return Object.assign(next, { remaining: () => items.length - index });
}

/** One request per fixture, each fixture used once. */
export function requestsOnce<T>(items: T[], build: (item: T) => PlannedRequest): Once<PlannedRequest> {
  const next = once(items);
  return Object.assign(() => {
    const item = next();
    return item === null ? null : build(item);
  }, { remaining: next.remaining });
}
