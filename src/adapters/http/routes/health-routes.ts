import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { HttpContext } from '../context.js';

const statusSchema = z.object({ status: z.enum(['ok', 'unavailable']) });

export const healthRoutes: FastifyPluginAsyncZod<{ context: HttpContext }> = async (app, { context }) => {
  const tags = ['Operations'];
  // Liveness: the process answers.
  app.get('/healthz', { schema: { tags, response: { 200: statusSchema } } }, async () => ({ status: 'ok' as const }));
  // Readiness: the database answers too.
  app.get('/readyz', { schema: { tags, response: { 200: statusSchema, 503: statusSchema } } }, async (_request, reply) => {
    try {
      await sql`SELECT 1`.execute(context.deps.db);
      return { status: 'ok' as const };
    } catch {
      return reply.code(503).send({ status: 'unavailable' as const });
    }
  });
};
