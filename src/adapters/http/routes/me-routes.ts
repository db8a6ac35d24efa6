// The signed-in user's own two-factor settings (SPEC §7), once per surface.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  backupCodesReplySchema,
  codeBodySchema,
  errorBodySchema,
  factorIdParamsSchema,
  factorRenameBodySchema,
  factorRenameReplySchema,
  smsEnrollmentBodySchema,
  smsEnrollmentReplySchema,
  totpConfirmReplySchema,
  totpEnrollmentReplySchema,
  ownTwoFactorReplySchema,
} from '../../../../contract/api.js';
import { passkeyCreationOptionsSchema, passkeyRegistrationBodySchema, passkeyRegistrationReplySchema } from '../../../../contract/webauthn.js';
import { removeFactor } from '../../../modules/twofactor/remove-factor.js';
import { renameFactor } from '../../../modules/twofactor/rename-factor.js';
import { generateOwnBackupCodes } from '../../../modules/twofactor/backup-codes/generate-own-backup-codes.js';
import { getTwoFactorStatus } from '../../../modules/twofactor/get-two-factor-status.js';
import { registerPasskey } from '../../../modules/twofactor/passkeys/register-passkey.js';
import { startPasskeyRegistration } from '../../../modules/twofactor/passkeys/start-passkey-registration.js';
import { confirmSms } from '../../../modules/twofactor/sms/confirm-sms.js';
import { enrollSms } from '../../../modules/twofactor/sms/enroll-sms.js';
import { confirmTotp } from '../../../modules/twofactor/totp/confirm-totp.js';
import { enrollTotp } from '../../../modules/twofactor/totp/enroll-totp.js';
import type { SessionState, Surface } from '../../db/schema.js';
import type { HttpContext } from '../context.js';
import { sessionCookieName, setSessionCookie } from '../cookies.js';
import { isSecureRequest, requestMeta, requireSession } from '../request-context.js';
import { relyingPartyOf } from '../relying-party.js';
import { twoFactorReply } from '../replies.js';

export const meRoutes: FastifyPluginAsyncZod<{ context: HttpContext; surface: Surface }> = async (app, { context, surface }) => {
  const { deps, publicUrl, limits } = context;
  const tags = [surface === 'admin' ? 'Admin Platform: my settings' : 'Digital Banking: my settings'];
  const signedInOrEnrolling = { surface, states: ['active', 'enrollment'] as SessionState[], publicUrl };

  app.get('/me/two-factor', {
    schema: { tags, response: { 200: ownTwoFactorReplySchema, 401: errorBodySchema } },
  }, async (request) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    return { ...twoFactorReply(await getTwoFactorStatus(deps.db, session.user.id, deps.clock.now())), smsAvailable: deps.policy.sms.enabled };
  });

  app.post('/me/two-factor/totp', {
    schema: { tags, response: { 201: totpEnrollmentReplySchema, 401: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    const enrollment = await enrollTotp(deps, { session, meta: requestMeta(request) });
    return reply.code(201).send(enrollment);
  });

  app.post('/me/two-factor/totp/:factorId/confirm', {
    schema: { tags, params: factorIdParamsSchema, body: codeBodySchema, response: { 200: totpConfirmReplySchema, 401: errorBodySchema, 404: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    const result = await confirmTotp(deps, { session, factorId: request.params.factorId, code: request.body.code, meta: requestMeta(request) });
    if (result.status === 'signed_in') {
      const secure = isSecureRequest(request, publicUrl);
      setSessionCookie(reply, sessionCookieName(surface, secure), result.token, secure);
    }
    return { status: result.status };
  });

  // SMS (SECURITY §2.5): the phone is texted a code (201), and becomes a factor once the code
  // comes back. 403 while SMS is switched off by policy; 429 past the hourly send limit.
  app.post('/me/two-factor/sms', {
    ...limits.texts('phone'),
    schema: { tags, body: smsEnrollmentBodySchema, response: { 201: smsEnrollmentReplySchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    return reply.code(201).send(await enrollSms(deps, { session, phone: request.body.phone, meta: requestMeta(request) }));
  });

  app.post('/me/two-factor/sms/:factorId/confirm', {
    schema: { tags, params: factorIdParamsSchema, body: codeBodySchema, response: { 200: totpConfirmReplySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    const result = await confirmSms(deps, { session, factorId: request.params.factorId, code: request.body.code, meta: requestMeta(request) });
    if (result.status === 'signed_in') {
      const secure = isSecureRequest(request, publicUrl);
      setSessionCookie(reply, sessionCookieName(surface, secure), result.token, secure);
    }
    return { status: result.status };
  });

  app.post('/me/two-factor/passkeys/options', {
    schema: { tags, response: { 200: passkeyCreationOptionsSchema, 401: errorBodySchema } },
  }, async (request) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    return startPasskeyRegistration(deps, { session, relyingParty: relyingPartyOf(request, publicUrl, surface) });
  });

  app.post('/me/two-factor/passkeys', {
    schema: { tags, body: passkeyRegistrationBodySchema, response: { 201: passkeyRegistrationReplySchema, 400: errorBodySchema, 401: errorBodySchema, 409: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, signedInOrEnrolling);
    const relyingParty = relyingPartyOf(request, publicUrl, surface);
    const result = await registerPasskey(deps, { session, response: request.body.response, label: request.body.label ?? null, relyingParty, meta: requestMeta(request) });
    if (result.status === 'signed_in') {
      const secure = isSecureRequest(request, publicUrl);
      setSessionCookie(reply, sessionCookieName(surface, secure), result.token, secure);
    }
    return reply.code(201).send({ factorId: result.factorId, status: result.status });
  });

  app.patch('/me/two-factor/factors/:factorId', {
    schema: { tags, params: factorIdParamsSchema, body: factorRenameBodySchema, response: { 200: factorRenameReplySchema, 401: errorBodySchema, 404: errorBodySchema } },
  }, async (request) => {
    const session = await requireSession(deps, request, { surface, states: ['active'], publicUrl });
    return renameFactor(deps, { session, factorId: request.params.factorId, label: request.body.label, meta: requestMeta(request) });
  });

  app.delete('/me/two-factor/factors/:factorId', {
    schema: { tags, params: factorIdParamsSchema, response: { 204: z.null(), 401: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, { surface, states: ['active'], publicUrl });
    await removeFactor(deps, { session, factorId: request.params.factorId, meta: requestMeta(request) });
    return reply.code(204).send(null);
  });

  app.post('/me/backup-codes', {
    schema: { tags, response: { 201: backupCodesReplySchema, 401: errorBodySchema } },
  }, async (request, reply) => {
    const session = await requireSession(deps, request, { surface, states: ['active'], publicUrl });
    return reply.code(201).send(await generateOwnBackupCodes(deps, { session, meta: requestMeta(request) }));
  });
};
