// What the peer's fixture script (peers/better-auth/fixtures.ts) hands the runner, in a file of
// its own so that the runner type-checks without the peer installed.
export interface PeerFixtures {
  /** One challenge per code, in round-robin order over the users: a user's next code comes after every other user's. */
  rightCodes: { cookie: string; code: string }[];
  wrongCodes: { cookie: string }[];
  sessions: string[];
  /** A user and their password, for a check through the real sign-in. */
  probe: { email: string; password: string; code: string };
}
