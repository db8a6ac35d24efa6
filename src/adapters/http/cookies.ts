// One session cookie per surface (SPEC §3): HttpOnly, SameSite=Strict, Secure and
// __Host- prefixed when served over https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Surface } from '../../adapters/db/schema.js';

export function sessionCookieName(surface: Surface, secure: boolean): string {
  return `${secure ? '__Host-' : ''}latchkey_${surface}`;
}

export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index === -1) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : null;
    }
  }
  return null;
}

export function setSessionCookie(reply: FastifyReply, name: string, token: string, secure: boolean): void {
  reply.header('set-cookie', `${name}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
}

export function clearSessionCookie(reply: FastifyReply, name: string, secure: boolean): void {
  reply.header('set-cookie', `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`);
}
