// Words the Admin Platform shows for the API's values.
import { ApiError } from '../shared/api.js';

export function fullName(user: { firstName: string; lastName: string }): string {
  return `${user.firstName} ${user.lastName}`;
}

export function kindLabel(kind: 'customer' | 'staff'): string {
  return kind === 'customer' ? 'Customer' : 'Staff';
}

/** A failed request in words, when no screen-specific message applies. */
export function requestErrorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Latchkey could not be reached. Check your connection and try again.';
}
