// Signing in (SPEC §7), registered once per surface under /api/{surface}.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  challengeBodySchema,
  errorBodySchema,
  loginBodySchema,
  loginReplySchema,
  meReplySchema,
  signedInReplySchema,
  verifyBodySchema,
} from '../../../../contract/api.js';
import { passkeyChallengeReplySchema } from '../../../../contract/webauthn.js';
import { beginSecondFactor } from '../../../modules/auth/begin-second-factor.js';
import { completeSignIn } from '../../../modules/auth/complete-sign-in.js';
import { reauthenticate } from '../../../modules/auth/reauthenticate.js';
import { signInWithPassword } from '../../../modules/auth/sign-in-with-password.js';
import { signOut } from '../../../modules/auth/sign-out.js';
import { AppError } from '../../../shared/app-error.js';
import type { SessionState, Surface } from '../../db/schema.js';
import type { HttpContext } from '../context.js';
import { clearSessionCookie, sessionCookieName, setSessionCookie } from '../cookies.js';
import { relyingPartyOf } from '../relying-party.js';
import { isSecureRequest, requestMeta, requireSession } from '../request-context.js';

export const authRoutes: FastifyPluginAsyncZod<{ context: HttpContext; surface: Surface }> = async (app, { context, surface }) => {
  const { deps, publicUrl, limits } = context;
  const tags = [surface === 'admin' ? 'Admin Platform: signing in' : 'Digital Banking: signing in'];
  const cookie = (request: Parameters<typeof isSecureRequest>[0]) => {
    const secure = isSecureRequest(request, publicUrl);
    return { name: sessionCookieName(surface, secure), secure };
  };

  app.post('/login', {
    ...limits.password(surface),
    schema: { tags, body: loginBodySchema, response: { 200: loginReplySchema, 401: errorBodySchema, 429: errorBodySchema } },
  }, async (request, reply) => {
    const result = await signInWithPassword(deps, { surface, ...request.body, meta: requestMeta(request) });
    const { name, secure } = cookie(request);
    setSessionCookie(reply, name, result.token, secure);
    return result.status === 'second_factor_required' ? { status: result.status, factors: result.factors } : { status: result.status };
  });

  // A passkey gets a challenge to sign (200); an SMS factor is texted a fresh code (204, or
  // 429 past the hourly limit); TOTP and backup codes need none (204). At sign-in, and for a step-up.
  const challengeRoutes: [string, SessionState][] = [['/login/challenge', 'pending'], ['/reauthenticate/challenge', 'active']];
  for (const [path, state] of challengeRoutes) {
    app.post(path, {
      ...limits.texts('challenge'),
      schema: { tags, body: challengeBodySchema, response: { 200: passkeyChallengeReplySchema, 204: z.null(), 401: errorBodySchema, 404: errorBodySchema, 429: errorBodySchema } },
    }, async (request, reply) => {
      const session = await requireSession(deps, request, { surface, states: [state], publicUrl });
      const relyingParty = relyingPartyOf(request, publicUrl, surface);
      const challenge = await beginSecondFactor(deps, { session, factorId: request.body.factorId, relyingParty, meta: requestMeta(request) });
      return challenge === null ? reply.code(204).send(null) : reply.code(200).send(challenge);
    });
  }

  app.post('/login/verify', {
    ...limits.signInCode(surface),
    schema: { tags, body: verifyBodySchema, response: { 200: signedInReplySchema, 401: errorBodySchema, 429: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, { surface, states: ['pending'], publicUrl });
    const relyingParty = relyingPartyOf(request, publicUrl, surface);
    const result = await completeSignIn(deps, { session, ...request.body, relyingParty, meta: requestMeta(request) });
    const { name, secure } = cookie(request);
    setSessionCookie(reply, name, result.token, secure);
    limits.rememberDevice(request, reply, { surface, username: result.user.username });
    return { status: 'signed_in' as const, user: result.user };
  });

  app.post('/reauthenticate', {
    ...limits.code(surface),
    schema: { tags, body: verifyBodySchema, response: { 204: z.null(), 401: errorBodySchema, 429: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, { surface, states: ['active'], publicUrl });
    const relyingParty = relyingPartyOf(request, publicUrl, surface);
    const result = await reauthenticate(deps, { session, ...request.body, relyingParty, meta: requestMeta(request) });
    const { name, secure } = cookie(request);
    setSessionCookie(reply, name, result.token, secure);
    return reply.code(204).send(null);
  });

  app.post('/logout', { schema: { tags, response: { 204: z.null() } } }, async (request, reply) => {
    const { name, secure } = cookie(request);
    try {
      const session = await requireSession(deps, request, { surface, states: ['pending', 'enrollment', 'active'], publicUrl });
      await signOut(deps, { session, meta: requestMeta(request) });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    clearSessionCookie(reply, name, secure);
    return reply.code(204).send(null);
  });

  app.get('/me', { schema: { tags, response: { 200: meReplySchema, 401: errorBodySchema } } }, async (request) => {
    const session = await requireSession(deps, request, { surface, states: ['active'], publicUrl });
    const { status: _status, ...user } = session.user;
    return { user };
  });
};
