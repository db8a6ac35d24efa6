// JSON logs (pino) with secrets redacted at the source: cookies, set-cookie, and any field
// named like a credential, wherever it sits in a logged object.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
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
