// JSON logs (pino) with secrets redacted at the source: cookies, set-cookie, authorization,
// request bodies, and any field named like a credential, one level down. Fastify's request
// and reply lines carry neither headers nor bodies; these paths hold should a serializer or
// a log call ever add them.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.body',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  // A leading wildcard matches one level down only: the top level needs its own paths.
  'password',
  'currentPassword',
  'newPassword',
  'code',
  'codes',
  'token',
  'secret',
  'otpauthUri',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.code',
  '*.codes',
  '*.token',
  '*.secret',
  '*.otpauthUri',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
