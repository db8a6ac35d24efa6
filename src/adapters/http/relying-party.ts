// The WebAuthn relying party a request speaks to: the origin the Origin check accepts
// (PUBLIC_URL, or the request's own when none is set), its host name as the RP ID, and the
// surface's name for the browser to show beside the passkey.
import type { FastifyRequest } from 'fastify';
import type { RelyingParty } from '../../modules/twofactor/passkeys/relying-party.js';
import type { Surface } from '../db/schema.js';

export function relyingPartyOf(request: FastifyRequest, publicUrl: string | null, surface: Surface): RelyingParty {
  const origin = publicUrl ?? `${request.protocol}://${request.host}`;
  return { id: new URL(origin).hostname, origin, name: surface === 'admin' ? 'Admin Platform' : 'Digital Banking' };
}
