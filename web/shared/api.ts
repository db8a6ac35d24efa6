// The one typed client of the HTTP API (SPEC §7). Replies are typed from contract/; errors
// become ApiError with the catalogue's code, which screens switch on.
import type { z } from 'zod';
import type {
  adminUserDetailReplySchema,
  adminUserListReplySchema,
  auditListReplySchema,
  backupCodesReplySchema,
  loginReplySchema,
  meReplySchema,
  signedInReplySchema,
  totpConfirmReplySchema,
  totpEnrollmentReplySchema,
  ownTwoFactorReplySchema,
  twoFactorReplySchema,
} from '../../contract/api.js';
import type {
  PasskeyAssertionJSON,
  passkeyChallengeReplySchema,
  passkeyCreationOptionsSchema,
  passkeyRegistrationBodySchema,
  passkeyRegistrationReplySchema,
} from '../../contract/webauthn.js';
import type { ErrorBody, ErrorCode } from '../../contract/errors.js';
import type { ActiveSession, ProfileInput, emailConfirmReplySchema, endedSessionsReplySchema, profileReplySchema } from '../../contract/settings.js';

export type Surface = 'banking' | 'admin';
export type LoginReply = z.infer<typeof loginReplySchema>;
export type SignedInReply = z.infer<typeof signedInReplySchema>;
export type User = z.infer<typeof meReplySchema>['user'];
export type TwoFactor = z.infer<typeof twoFactorReplySchema>;
export type OwnTwoFactor = z.infer<typeof ownTwoFactorReplySchema>;
export type TotpEnrollment = z.infer<typeof totpEnrollmentReplySchema>;
export type BackupCodes = z.infer<typeof backupCodesReplySchema>;
export type UserList = z.infer<typeof adminUserListReplySchema>;
export type UserDetail = z.infer<typeof adminUserDetailReplySchema>;
export type AuditList = z.infer<typeof auditListReplySchema>;
/** Present when the chosen factor is a passkey: what navigator.credentials.get() needs. */
export type PasskeyChallenge = z.infer<typeof passkeyChallengeReplySchema>;
export type PasskeyCreationOptions = z.infer<typeof passkeyCreationOptionsSchema>;
export type PasskeyRegistrationResponse = z.infer<typeof passkeyRegistrationBodySchema>['response'];
export type PasskeyRegistration = z.infer<typeof passkeyRegistrationReplySchema>;
export type { PasskeyAssertionJSON };
export type ProfileReply = z.infer<typeof profileReplySchema>;
export type EmailConfirmReply = z.infer<typeof emailConfirmReplySchema>;
export type { ActiveSession };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

type Listener = (error: ApiError) => void;
const sessionEndedListeners = new Set<Listener>();

/** Called when a signed-in request finds the session gone (time-out, sign-out elsewhere). */
export function onSessionEnded(listener: Listener): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload as ErrorBody | null)?.error;
    const apiError = new ApiError(
      response.status,
      error?.code ?? 'internal_error',
      error?.message ?? 'Something went wrong on our side.',
      error?.fields ?? {},
      response.headers.has('retry-after') ? Number(response.headers.get('retry-after')) : null,
    );
    if (apiError.code === 'unauthenticated') for (const listener of sessionEndedListeners) listener(apiError);
    throw apiError;
  }
  return payload as T;
}

export function surfaceApi(surface: Surface) {
  const base = `/api/${surface}`;
  return {
    login: (username: string, password: string) => request<LoginReply>('POST', `${base}/login`, { username, password }),
    /** Undefined (204) for a factor that needs no challenge. */
    challenge: (factorId: string) => request<PasskeyChallenge | undefined>('POST', `${base}/login/challenge`, { factorId }),
    verify: (factorId: string, code: string) => request<SignedInReply>('POST', `${base}/login/verify`, { factorId, code }),
    verifyPasskey: (factorId: string, credential: PasskeyAssertionJSON) => request<SignedInReply>('POST', `${base}/login/verify`, { factorId, credential }),
    reauthenticate: (factorId: string, code: string) => request<void>('POST', `${base}/reauthenticate`, { factorId, code }),
    reauthenticationChallenge: (factorId: string) => request<PasskeyChallenge | undefined>('POST', `${base}/reauthenticate/challenge`, { factorId }),
    reauthenticateWithPasskey: (factorId: string, credential: PasskeyAssertionJSON) =>
      request<void>('POST', `${base}/reauthenticate`, { factorId, credential }),
    logout: () => request<void>('POST', `${base}/logout`),
    me: () => request<{ user: User }>('GET', `${base}/me`),
    twoFactor: () => request<OwnTwoFactor>('GET', `${base}/me/two-factor`),
    enrollTotp: () => request<TotpEnrollment>('POST', `${base}/me/two-factor/totp`),
    confirmTotp: (factorId: string, code: string) =>
      request<{ status: 'confirmed' | 'signed_in' }>('POST', `${base}/me/two-factor/totp/${encodeURIComponent(factorId)}/confirm`, { code }),
    /** SMS enrolment: texts a code to the phone; the factor is active once confirmSms gets it back. */
    enrollSms: (phone: string) => request<{ factorId: string }>('POST', `${base}/me/two-factor/sms`, { phone }),
    confirmSms: (factorId: string, code: string) =>
      request<{ status: 'confirmed' | 'signed_in' }>('POST', `${base}/me/two-factor/sms/${encodeURIComponent(factorId)}/confirm`, { code }),
    removeFactor: (factorId: string) => request<void>('DELETE', `${base}/me/two-factor/factors/${encodeURIComponent(factorId)}`),
    renameFactor: (factorId: string, label: string) =>
      request<{ id: string; label: string }>('PATCH', `${base}/me/two-factor/factors/${encodeURIComponent(factorId)}`, { label }),
    generateOwnBackupCodes: () => request<BackupCodes>('POST', `${base}/me/backup-codes`),
    passkeyRegistrationOptions: () => request<PasskeyCreationOptions>('POST', `${base}/me/two-factor/passkeys/options`),
    registerPasskey: (response: PasskeyRegistrationResponse, label?: string) =>
      request<PasskeyRegistration>('POST', `${base}/me/two-factor/passkeys`, label === undefined ? { response } : { response, label }),
    updateProfile: (changes: Partial<ProfileInput>) => request<ProfileReply>('PATCH', `${base}/me/profile`, changes),
    confirmEmail: (code: string) => request<EmailConfirmReply>('POST', `${base}/me/email/confirm`, { code }),
    changePassword: (currentPassword: string, newPassword: string) => request<void>('POST', `${base}/me/password`, { currentPassword, newPassword }),
    sessions: () => request<{ sessions: ActiveSession[] }>('GET', `${base}/me/sessions`),
    endSession: (id: string) => request<void>('DELETE', `${base}/me/sessions/${encodeURIComponent(id)}`),
    endOtherSessions: () => request<z.infer<typeof endedSessionsReplySchema>>('DELETE', `${base}/me/sessions`),
  };
}

export type SurfaceApi = ReturnType<typeof surfaceApi>;

export const adminApi = {
  users: (query: { q?: string; kind?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    return request<UserList>('GET', `/api/admin/users?${params}`);
  },
  user: (id: string) => request<UserDetail>('GET', `/api/admin/users/${encodeURIComponent(id)}`),
  generateBackupCodes: (id: string, note: string) =>
    request<BackupCodes>('POST', `/api/admin/users/${encodeURIComponent(id)}/backup-codes`, note.trim() === '' ? {} : { note: note.trim() }),
  endUserSessions: (id: string) => request<z.infer<typeof endedSessionsReplySchema>>('DELETE', `/api/admin/users/${encodeURIComponent(id)}/sessions`),
  audit: (query: { userId?: string; type?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    return request<AuditList>('GET', `/api/admin/audit?${params}`);
  },
};
