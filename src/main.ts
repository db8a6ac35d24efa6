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

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { database, deps, notifications } = await compose(config, { holder: 'server', logger });
  const webRoot = builtWebRoot();
  if (webRoot === null) logger.warn('the web UI is not built (run `npm run build`); serving the API only');
  const app = await buildApp({ deps, publicUrl: config.publicUrl, logger, webRoot });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    await app.close();
    // After the requests (which may queue more), before the database: the round in flight ends.
    await notifications.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  notifications.start();
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
