// Raw argon2id at Latchkey's password parameters (src/modules/users/passwords.ts), on all
// cores: @node-rs/argon2 runs each hash as async work on libuv's thread pool, as Latchkey's
// server does, so this process keeps twice the pool's threads busy (UV_THREADPOOL_SIZE,
// default 4) for the given time and prints `hashes/s <rate>`. It verifies against a stored
// hash, exactly the work of the password step.
import { hash, verify } from '@node-rs/argon2';
import { PASSWORD_HASH_OPTIONS } from '../../src/modules/users/passwords.js';

const seconds = Number(process.argv[2] ?? '10');
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? '4');
const inFlight = threads * 2;
const password = 'a long and unusual passphrase';
const stored = await hash(password, PASSWORD_HASH_OPTIONS);

async function measure(durationInMs: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + durationInMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (!(await verify(stored, password))) throw new Error('argon2 verify failed');
      done += 1;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - startedAt) / 1000);
}

await measure(Math.min(2_000, seconds * 300));
process.stdout.write(`hashes/s ${(await measure(seconds * 1000)).toFixed(2)}\n`);
