// config → deps → app → listen. The only file that listens.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { builtWebRoot } from './adapters/http/routes/web-routes.js';
import { compose } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { EmbeddedDatabaseInUseError } from './adapters/db/embedded-lock.js';
import { formatDemoCredentials, seedDemo } from './modules/seed/seed-demo.js';
import { createLogger } from './shared/logger.js';

// Below Kubernetes' default grace period (30 s) before it kills the process.
const SHUTDOWN_DEADLINE_MILLISECONDS = 20_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { database, deps, notifications, auditSealer, rateLimitStore } = await compose(config, { holder: 'server', logger });
  const webRoot = builtWebRoot();
  if (webRoot === null) logger.warn('the web UI is not built (run `npm run build`); serving the API only');
  const app = await buildApp({
    deps,
    publicUrl: config.publicUrl,
    logger,
    webRoot,
    trustProxy: config.trustProxy ?? undefined,
    rateLimit: { redis: rateLimitStore },
  });

  let shuttingDown = false;
  // A request in flight when the shutdown starts ends its connection with its reply: left
  // open, an idle keep-alive connection would hold app.close() for the keep-alive timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    // A request that never ends, or a database that no longer answers, must not hold the
    // process until the orchestrator kills it: past the deadline it exits, saying so.
    setTimeout(() => {
      logger.error('shutdown deadline passed: exiting with work unfinished');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MILLISECONDS).unref();
    await app.close();
    // No request counts any more: the counters' connection can go.
    rateLimitStore?.disconnect();
    // After the requests (which may queue more), before the database: the round in flight ends.
    await notifications.stop();
    await auditSealer.stop();
    await database.close();
    logger.info('shut down cleanly');
    process.exit(0);
  };
  const shutdownFailed = (error: unknown) => {
    logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'shutdown failed');
    process.exit(1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM').catch(shutdownFailed));
  process.on('SIGINT', () => void shutdown('SIGINT').catch(shutdownFailed));

  const address = await app.listen({ port: config.port, host: config.host });
  notifications.start();
  auditSealer.start();
  // Browsers accept passkeys for `localhost` but not for a bare IP address such as 127.0.0.1.
  const baseUrl = config.publicUrl ?? address.replace('//127.0.0.1:', '//localhost:');
  if (config.seedDemoUsers) printDemoUsers(await seedDemo(deps), config, baseUrl);
  process.stdout.write(`\nLatchkey is ready at ${baseUrl} (${database.engine === 'pglite' ? `embedded database in ${config.database.kind === 'pglite' ? config.database.dataDir : ''}` : 'PostgreSQL'}).\n`);
}

/**
 * Demo credentials go to the terminal, never to the log. With the embedded database they
 * are kept in the data folder so that every later start can show them again.
 */
function printDemoUsers(created: Awaited<ReturnType<typeof seedDemo>>, config: ReturnType<typeof loadConfig>, baseUrl: string): void {
  const savedPath = config.database.kind === 'pglite' ? join(config.database.dataDir, 'demo-users.txt') : null;
  let text: string | null = null;
  if (created !== null) {
    text = formatDemoCredentials(created, baseUrl);
    if (savedPath !== null) writeFileSync(savedPath, `${text}\n`, { mode: 0o600 });
  } else if (savedPath !== null && existsSync(savedPath)) {
    text = readFileSync(savedPath, 'utf8');
  }
  if (text !== null) process.stdout.write(`\n${text}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseInUseError) {
    process.stderr.write(`latchkey: ${error.message}\n`);
  } else {
    process.stderr.write(`latchkey: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
