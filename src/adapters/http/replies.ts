// Domain values → reply shapes (dates as ISO strings), shared by the routes.
import type { TwoFactorStatus } from '../../modules/twofactor/get-two-factor-status.js';

export function twoFactorReply(status: TwoFactorStatus) {
  return {
    factors: status.factors.map((factor) => ({ ...factor, createdAt: factor.createdAt.toISOString() })),
    backupCodes:
      status.backupCodes === null
        ? null
        : {
            ...status.backupCodes,
            createdAt: status.backupCodes.createdAt.toISOString(),
            expiresAt: status.backupCodes.expiresAt?.toISOString() ?? null,
          },
  };
}
