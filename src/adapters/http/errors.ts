// The one place errors become HTTP replies. A 5xx body never carries an internal message.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorBody, type ErrorCode, errorCatalogue } from '../../../contract/errors.js';
import { AppError } from '../../shared/app-error.js';

export function sendError(reply: FastifyReply, code: ErrorCode, options: { message?: string; fields?: Record<string, string> } = {}) {
  const body: ErrorBody = { error: { code, message: options.message ?? errorCatalogue[code].message } };
  if (options.fields !== undefined) body.error.fields = options.fields;
  return reply.code(errorCatalogue[code].status).send(body);
}

// The database is down, restarting, unreachable or out of connections: 503 and Retry-After,
// never a 500. Codes of the socket, of the DNS, and PostgreSQL's SQLSTATEs: 57P01
// admin_shutdown (pg_terminate_backend, a fast stop), 57P02 crash_shutdown, 57P03
// cannot_connect_now (starting up), 53300 too_many_connections, class 08 connection exceptions.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300',
]);

function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    return sendError(reply, error.code, { message: error.message, ...(error.fields ? { fields: error.fields } : {}) });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields: Record<string, string> = {};
    for (const issue of error.validation) {
      const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || '_';
      fields[path] ??= issue.message ?? 'This value is not valid.';
    }
    return sendError(reply, 'validation_failed', { fields });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 'payload_too_large');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 'unsupported_media_type');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(reply, 'validation_failed', { message: 'The request is malformed.' });
  }
  if (isDatabaseUnavailable(error)) {
    // Not under `code`: the logger redacts every field of that name.
    request.log.warn({ databaseError: { errorCode: (error as { code?: unknown }).code, message: error.message } }, 'database unavailable');
    reply.header('retry-after', '5');
    return sendError(reply, 'service_unavailable');
  }
  // The error's own `code` (a SQLSTATE, a Node error code) is redacted inside `err` with every
  // field of that name, and operators need it: it goes beside.
  request.log.error({ err: error, errorCode: (error as { code?: unknown }).code }, 'unhandled error');
  return sendError(reply, 'internal_error');
}
