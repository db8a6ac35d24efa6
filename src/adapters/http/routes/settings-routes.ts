// The signed-in user's profile, password and sessions (SPEC §4, §7), once per surface. The
// caller is authenticated before the body is validated (preValidation), so the guard order is
// authenticate → step-up (in the use case) → validate → act, and a stranger learns nothing
// from validation messages.
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema } from '../../../../contract/api.js';
import {
  PROFILE_MESSAGES,
  activeSessionsReplySchema,
  emailConfirmBodySchema,
  emailConfirmReplySchema,
  endedSessionsReplySchema,
  passwordChangeBodySchema,
  profileBodySchema,
  profileReplySchema,
  sessionIdParamsSchema,
} from '../../../../contract/settings.js';
import type { CurrentSession } from '../../../modules/auth/sessions.js';
import { changePassword } from '../../../modules/settings/change-password.js';
import { confirmEmailChange } from '../../../modules/settings/confirm-email-change.js';
import { endOtherSessions } from '../../../modules/settings/end-other-sessions.js';
import { endSession } from '../../../modules/settings/end-session.js';
import { listActiveSessions } from '../../../modules/settings/list-active-sessions.js';
import { updateProfile } from '../../../modules/settings/update-profile.js';
import type { Surface } from '../../db/schema.js';
import type { HttpContext } from '../context.js';
import { clearSessionCookie, sessionCookieName } from '../cookies.js';
import { isSecureRequest, requestMeta, requireSession } from '../request-context.js';

export const settingsRoutes: FastifyPluginAsyncZod<{ context: HttpContext; surface: Surface }> = async (app, { context, surface }) => {
  const { deps, publicUrl, limits } = context;
  const tags = [surface === 'admin' ? 'Admin Platform: my settings' : 'Digital Banking: my settings'];
  const refusals = { 400: errorBodySchema, 401: errorBodySchema };

  const sessions = new WeakMap<FastifyRequest, CurrentSession>();
  const signedIn: preValidationAsyncHookHandler = async (request) => {
    sessions.set(request, await requireSession(deps, request, { surface, states: ['active'], publicUrl }));
  };
  const sessionOf = (request: FastifyRequest): CurrentSession => {
    const session = sessions.get(request);
    if (session === undefined) throw new Error('settings route without the signedIn hook');
    return session;
  };

  app.patch('/me/profile', {
    preValidation: signedIn,
    schema: { tags, body: profileBodySchema, response: { 200: profileReplySchema, ...refusals } },
  }, async (request) => {
    const { user } = await updateProfile(deps, { session: sessionOf(request), changes: request.body, meta: requestMeta(request) });
    return { user, message: PROFILE_MESSAGES.updated };
  });

  app.post('/me/email/confirm', {
    ...limits.code(surface),
    preValidation: signedIn,
    schema: { tags, body: emailConfirmBodySchema, response: { 200: emailConfirmReplySchema, 429: errorBodySchema, ...refusals } },
  }, async (request) => {
    const { email } = await confirmEmailChange(deps, { session: sessionOf(request), code: request.body.code, meta: requestMeta(request) });
    return { email, message: `Your email address is now ${email}.` };
  });

  app.post('/me/password', {
    preValidation: signedIn,
    schema: { tags, body: passwordChangeBodySchema, response: { 204: z.null(), ...refusals } },
  }, async (request, reply) => {
    await changePassword(deps, { session: sessionOf(request), ...request.body, meta: requestMeta(request) });
    const secure = isSecureRequest(request, publicUrl);
    clearSessionCookie(reply, sessionCookieName(surface, secure), secure);
    return reply.code(204).send(null);
  });

  app.get('/me/sessions', {
    preValidation: signedIn,
    schema: { tags, response: { 200: activeSessionsReplySchema, 401: errorBodySchema } },
  }, async (request) => {
    const list = await listActiveSessions(deps, { session: sessionOf(request) });
    return { sessions: list.map((item) => ({ ...item, createdAt: item.createdAt.toISOString(), lastSeenAt: item.lastSeenAt.toISOString() })) };
  });

  app.delete('/me/sessions/:id', {
    preValidation: signedIn,
    schema: { tags, params: sessionIdParamsSchema, response: { 204: z.null(), 404: errorBodySchema, 409: errorBodySchema, ...refusals } },
  }, async (request, reply) => {
    await endSession(deps, { session: sessionOf(request), sessionId: request.params.id, meta: requestMeta(request) });
    return reply.code(204).send(null);
  });

  app.delete('/me/sessions', {
    preValidation: signedIn,
    schema: { tags, response: { 200: endedSessionsReplySchema, 401: errorBodySchema } },
  }, async (request) => endOtherSessions(deps, { session: sessionOf(request), meta: requestMeta(request) }));
};
