// The Admin Platform's user management and audit log (SPEC §7), under /api/admin.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  adminUserDetailReplySchema,
  adminUserListQuerySchema,
  adminUserListReplySchema,
  auditListReplySchema,
  auditQuerySchema,
  backupCodesReplySchema,
  errorBodySchema,
  generateBackupCodesBodySchema,
  userIdParamsSchema,
} from '../../../../contract/api.js';
import { endedSessionsReplySchema } from '../../../../contract/settings.js';
import { endUserSessions } from '../../../modules/admin/end-user-sessions.js';
import { generateBackupCodesForUser } from '../../../modules/admin/generate-backup-codes-for-user.js';
import { getUserDetail } from '../../../modules/admin/get-user-detail.js';
import { searchUsers } from '../../../modules/admin/search-users.js';
import { listAuditEvents } from '../../../modules/audit/list-audit-events.js';
import type { HttpContext } from '../context.js';
import { twoFactorReply } from '../replies.js';
import { requestMeta, requirePermission, requireSession } from '../request-context.js';

export const adminRoutes: FastifyPluginAsyncZod<{ context: HttpContext }> = async (app, { context }) => {
  const { deps, publicUrl } = context;
  const tags = ['Admin Platform: users and audit'];
  const staff = { surface: 'admin' as const, states: ['active' as const], publicUrl };
  const refusals = { 401: errorBodySchema, 403: errorBodySchema };

  app.get('/users', {
    schema: { tags, querystring: adminUserListQuerySchema, response: { 200: adminUserListReplySchema, 400: errorBodySchema, ...refusals } },
  }, async (request) => {
    const session = await requireSession(deps, request, staff);
    await requirePermission(deps, request, session, 'users.view');
    return searchUsers(deps.db, request.query);
  });

  app.get('/users/:id', {
    schema: { tags, params: userIdParamsSchema, response: { 200: adminUserDetailReplySchema, 404: errorBodySchema, ...refusals } },
  }, async (request) => {
    const session = await requireSession(deps, request, staff);
    await requirePermission(deps, request, session, 'users.view');
    const detail = await getUserDetail(deps.db, { actor: session, userId: request.params.id, now: deps.clock.now() });
    return { ...detail, user: { ...detail.user, createdAt: detail.user.createdAt.toISOString() }, twoFactor: twoFactorReply(detail.twoFactor) };
  });

  app.post('/users/:id/backup-codes', {
    schema: {
      tags,
      params: userIdParamsSchema,
      // Fastify validates an absent body as null, and the note is optional: no body at all is fine.
      body: generateBackupCodesBodySchema.nullish(),
      response: { 201: backupCodesReplySchema, 404: errorBodySchema, 409: errorBodySchema, ...refusals },
    },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, staff);
    const note = request.body?.note;
    const result = await generateBackupCodesForUser(deps, {
      actor: session,
      targetId: request.params.id,
      note: note === undefined || note === '' ? null : note,
      meta: requestMeta(request),
    });
    return reply.code(201).send({ codes: result.codes, expiresAt: result.expiresAt.toISOString() });
  });

  app.delete('/users/:id/sessions', {
    schema: { tags, params: userIdParamsSchema, response: { 200: endedSessionsReplySchema, 404: errorBodySchema, ...refusals } },
  }, async (request) => {
    const session = await requireSession(deps, request, staff);
    return endUserSessions(deps, { actor: session, targetId: request.params.id, meta: requestMeta(request) });
  });

  app.get('/audit', {
    schema: { tags, querystring: auditQuerySchema, response: { 200: auditListReplySchema, 400: errorBodySchema, ...refusals } },
  }, async (request) => {
    const session = await requireSession(deps, request, staff);
    await requirePermission(deps, request, session, 'audit.view');
    const page = await listAuditEvents(deps.db, request.query);
    return { ...page, items: page.items.map((item) => ({ ...item, at: item.at.toISOString() })) };
  });
};
