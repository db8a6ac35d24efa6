// The closed catalogue of error codes: the server maps each to its HTTP status here, and
// the web UI switches on the same codes.
export const errorCatalogue = {
  validation_failed: { status: 400, message: 'Some fields are not valid.' },
  invalid_credentials: { status: 401, message: 'Incorrect username or password.' },
  unauthenticated: { status: 401, message: 'Sign in to continue.' },
  reauthentication_required: { status: 401, message: 'Confirm your second factor to continue.' },
  invalid_code: { status: 401, message: 'That code is not valid.' },
  csrf_failed: { status: 403, message: 'This request did not come from this site.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  user_disabled: { status: 409, message: 'This user is disabled.' },
  conflict: { status: 409, message: 'This conflicts with existing data.' },
  payload_too_large: { status: 413, message: 'The request is too large.' },
  unsupported_media_type: { status: 415, message: 'Send JSON.' },
  too_many_attempts: { status: 429, message: 'Too many attempts. Try again later.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable. Try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: Record<string, string> };
}
