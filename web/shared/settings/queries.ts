// The reads Settings shares between its sections (and Digital Banking's home): one cache key each.
import { useQuery } from '@tanstack/react-query';
import type { SurfaceApi } from '../api.js';

export const TWO_FACTOR_QUERY_KEY = ['two-factor'] as const;
export const SESSIONS_QUERY_KEY = ['sessions'] as const;

export function useTwoFactorStatus(api: SurfaceApi) {
  return useQuery({ queryKey: TWO_FACTOR_QUERY_KEY, queryFn: api.twoFactor });
}

export function useActiveSessions(api: SurfaceApi) {
  return useQuery({ queryKey: SESSIONS_QUERY_KEY, queryFn: async () => (await api.sessions()).sessions });
}
