import { ApiError } from './api.js';

/** What to tell a person whose code was refused, by the server's error code. */
export function codeErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'invalid_code':
      return 'That code is not valid. Check it and try again.';
    case 'too_many_attempts': {
      const minutes = error.retryAfterSeconds === null ? null : Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
      return minutes === null ? 'Too many attempts. Try again later.' : `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    }
    case 'validation_failed':
      return 'Enter the code.';
    default:
      return error.message;
  }
}
