// The peer's server: Better Auth's handler mounted on a bare Node HTTP server, as its docs
// show for Node (`toNodeHandler`). Prints `ready <port>` once listening; SIGTERM ends it.
import { createServer } from 'node:http';
import { toNodeHandler } from 'better-auth/node';
import { createPeerAuth } from './auth.js';

const port = Number(process.env.PORT ?? '0');
const { auth, pool } = createPeerAuth({
  databaseUrl: required('DATABASE_URL'),
  secret: required('BETTER_AUTH_SECRET'),
  baseURL: required('BETTER_AUTH_URL'),
});
const server = createServer(toNodeHandler(auth));
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
});

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}
