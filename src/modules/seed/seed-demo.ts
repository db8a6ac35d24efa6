// Demo users for trying Latchkey (SPEC §6): staff with and without the permission, an
// Admin-level staff member, and customers, each with an authenticator app enrolled.
// Passwords and TOTP secrets are random per installation and returned once, for printing.
import { randomBytes } from 'node:crypto';
import { cliMeta } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { changePermissions } from '../permissions/change-permissions.js';
import { assignRole, createRole } from '../permissions/roles.js';
import { TOTP_FACTOR_LABEL } from '../twofactor/totp/enroll-totp.js';
import { generateTotpSecret, totpUri } from '../twofactor/totp/totp.js';
import { createUser } from '../users/create-user.js';
import { encrypt } from '../../shared/secrets.js';

export interface DemoCredential {
  surface: 'admin' | 'banking';
  username: string;
  description: string;
  password: string;
  totpSecret: string;
  otpauthUri: string;
}

const HELP_DESK_ROLE = 'Help desk';

const demoUsers = [
  { username: 'helpdesk', kind: 'staff', isAdmin: false, firstName: 'Hannah', lastName: 'Desk', description: 'staff, role "Help desk": may generate backup codes for customers', role: HELP_DESK_ROLE, grants: [] },
  { username: 'admin', kind: 'staff', isAdmin: true, firstName: 'Ada', lastName: 'Admin', description: 'Admin-level staff with every permission: may generate for staff too', role: null, grants: ['users.generate_lockout_codes', 'users.view', 'users.change', 'audit.view', 'staff.manage'] },
  { username: 'viewer', kind: 'staff', isAdmin: false, firstName: 'Victor', lastName: 'Viewer', description: 'staff who may view users but not generate codes', role: null, grants: ['users.view'] },
  { username: 'alice', kind: 'customer', isAdmin: false, firstName: 'Alice', lastName: 'Martin', description: 'customer', role: null, grants: [] },
  { username: 'bob', kind: 'customer', isAdmin: false, firstName: 'Bob', lastName: "O'Neil", description: 'customer', role: null, grants: [] },
] as const;

const DEMO_EMAIL_DOMAIN = 'demo.latchkey.test';

/**
 * Creates the demo users unless they exist; returns their credentials when it created them.
 * A first seeding cut short (the process stopped half-way) is started over: the demo users it
 * made are removed, since their passwords were never shown, and the role is kept.
 */
export async function seedDemo(deps: Deps): Promise<DemoCredential[] | null> {
  const made = await deps.db.selectFrom('users').select('username').where('email', 'like', `%@${DEMO_EMAIL_DOMAIN}`).execute();
  if (made.length === demoUsers.length) return null;
  if (made.length > 0) await deps.db.deleteFrom('users').where('email', 'like', `%@${DEMO_EMAIL_DOMAIN}`).execute();
  const role = await deps.db.selectFrom('roles').select('id').where('name', '=', HELP_DESK_ROLE).executeTakeFirst();
  if (role === undefined) {
    await createRole(deps, { name: HELP_DESK_ROLE, codenames: ['users.generate_lockout_codes', 'users.view', 'audit.view'], actorId: null, meta: cliMeta });
  }
  const credentials: DemoCredential[] = [];
  for (const demo of demoUsers) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    const user = await createUser(
      deps,
      {
        kind: demo.kind,
        username: demo.username,
        email: `${demo.username}@${DEMO_EMAIL_DOMAIN}`,
        firstName: demo.firstName,
        lastName: demo.lastName,
        isAdmin: demo.isAdmin,
        password,
      },
      cliMeta,
    );
    if (demo.grants.length > 0) {
      await changePermissions(deps, { change: 'grant', username: demo.username, codenames: [...demo.grants], actorId: null, meta: cliMeta });
    }
    if (demo.role !== null) await assignRole(deps, { username: demo.username, roleName: demo.role, actorId: null, meta: cliMeta });
    const totpSecret = generateTotpSecret();
    await deps.db
      .insertInto('factors')
      .values({
        user_id: user.id,
        type: 'totp',
        label: TOTP_FACTOR_LABEL,
        secret_ciphertext: encrypt(deps.keys.get('totp-seed-encryption'), totpSecret),
        confirmed_at: deps.clock.now(),
        created_at: deps.clock.now(),
      })
      .execute();
    credentials.push({
      surface: demo.kind === 'staff' ? 'admin' : 'banking',
      username: demo.username,
      description: demo.description,
      password,
      totpSecret,
      otpauthUri: totpUri(totpSecret, demo.username),
    });
  }
  return credentials;
}

export function formatDemoCredentials(credentials: DemoCredential[], baseUrl: string): string {
  const lines = [
    'Demo users — sign in with the password, then a code from an authenticator app set up with the secret',
    '(scan or paste the otpauth URI). These are for trying Latchkey only.',
  ];
  for (const surface of ['admin', 'banking'] as const) {
    lines.push('', surface === 'admin' ? `Admin Platform: ${baseUrl}/admin` : `Digital Banking: ${baseUrl}/`);
    for (const user of credentials.filter((credential) => credential.surface === surface)) {
      lines.push(`  ${user.username.padEnd(9)} ${user.description}`);
      lines.push(`            password: ${user.password}   TOTP secret: ${user.totpSecret}`);
      lines.push(`            ${user.otpauthUri}`);
    }
  }
  return lines.join('\n');
}
