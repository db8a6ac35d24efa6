// The baseline: a bare Fastify + pg server answering one indexed SELECT per request, the
// ceiling of any endpoint that touches the database. It reads the session cookie Latchkey's
// GET /me reads, and looks its row up by the unique index on token_hash, in a pool of the
// size Latchkey's has (src/adapters/db/database.ts). No validation, no headers, no hooks.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const POOL_SIZE = 10;
const COOKIE = /(?:^|;\s*)latchkey_banking=([A-Za-z0-9_-]{1,100})/;

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
const app = Fastify({ logger: false });

app.get('/session', async (request, reply) => {
  const token = COOKIE.exec(request.headers.cookie ?? '')?.[1];
  if (token === undefined) return reply.code(401).send({ error: 'unauthenticated' });
  const tokenHash = createHash('sha256').update(token).digest('hex');
  const { rows } = await pool.query<{ id: string; user_id: string; state: string }>({
    name: 'session-by-token',
    text: 'SELECT id, user_id, state FROM sessions WHERE token_hash = $1',
    values: [tokenHash],
  });
  const session = rows[0];
  if (session === undefined) return reply.code(401).send({ error: 'unauthenticated' });
  return { session: { id: session.id, userId: session.user_id, state: session.state } };
});

const address = await app.listen({ port: Number(process.env.PORT ?? '0'), host: '127.0.0.1' });
process.stdout.write(`ready ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
