// Better Auth as a bank would deploy it for this comparison: email and password, its
// two-factor plugin (TOTP and backup codes, stored encrypted as it does by default), on
// PostgreSQL through a pool of the same size as Latchkey's. Everything else is left at
// Better Auth's defaults, among them its rate limiter (on in production, in memory: 100
// requests per 10 s per address and path, 3 per 10 s on /two-factor/*) and its per-account
// second-factor lock (10 failures, 15 minutes).
import { betterAuth } from 'better-auth';
import { twoFactor } from 'better-auth/plugins/two-factor';
import pg from 'pg';

export interface PeerSettings {
  databaseUrl: string;
  secret: string;
  baseURL: string;
}

// Latchkey's pg pool (src/adapters/db/database.ts).
const POOL_SIZE = 10;

export function createPeerAuth(settings: PeerSettings) {
  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: POOL_SIZE });
  const auth = betterAuth({
    database: pool,
    secret: settings.secret,
    baseURL: settings.baseURL,
    emailAndPassword: { enabled: true },
    // Enabled without a first TOTP code, so that fixtures need no authenticator.
    plugins: [twoFactor({ skipVerificationOnEnable: true })],
    telemetry: { enabled: false },
  });
  return { auth, pool };
}

export type PeerAuth = ReturnType<typeof createPeerAuth>['auth'];
