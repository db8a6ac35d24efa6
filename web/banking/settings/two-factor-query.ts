// The one read of the customer's two-factor status, shared by Home and Settings.
import { useQuery } from '@tanstack/react-query';
import { api } from '../api.js';

export const TWO_FACTOR_QUERY_KEY = ['two-factor'] as const;

export function useTwoFactorStatus() {
  return useQuery({ queryKey: TWO_FACTOR_QUERY_KEY, queryFn: api.twoFactor });
}
