import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, chainHash } from './chain-hash.js';

const key = Uint8Array.from({ length: 32 }, (_, index) => index);
const event = {
  seq: '1',
  id: '7',
  type: 'sign_in.succeeded',
  atInMicroseconds: '1795856400123456',
  actorId: '0b7e8a4c-1d2e-4f60-9a1b-2c3d4e5f6a7b',
  targetId: null,
  outcome: 'success',
  ip: '127.0.0.1',
  userAgent: 'Mozilla/5.0 "quoted"',
  details: { b: 'x\\ny', a: [1, true, null, { z: 2, y: 'é' }] },
};

describe('the audit chain link', () => {
  it('is frozen: HMAC-SHA-256 of this exact encoding (vector computed with openssl dgst -mac HMAC)', () => {
    // printf '%s' "$ENCODING" | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1e1f
    expect(chainHash(key, GENESIS_HASH, event)).toBe('44c07a08493c78a73b6f8d138c095d39b6aa7f17f4728298b63c317b33e4334a');
  });

  it('encodes details canonically: keys sorted at every depth, no spaces', () => {
    expect(canonicalJson(event.details)).toBe('{"a":[1,true,null,{"y":"é","z":2}],"b":"x\\\\ny"}');
    expect(canonicalJson({ z: 1, a: { c: 2, b: 3 } })).toBe(canonicalJson({ a: { b: 3, c: 2 }, z: 1 }));
  });

  it('changes with every field, the previous hash and the key', () => {
    const base = chainHash(key, GENESIS_HASH, event);
    for (const [field, value] of Object.entries({ seq: '2', id: '8', type: 'x', atInMicroseconds: '1795856400123457', actorId: null, targetId: event.actorId, outcome: 'failure', ip: null, userAgent: '', details: {} })) {
      expect(chainHash(key, GENESIS_HASH, { ...event, [field]: value }), field).not.toBe(base);
    }
    expect(chainHash(key, 'f'.repeat(64), event)).not.toBe(base);
    expect(chainHash(new Uint8Array(32), GENESIS_HASH, event)).not.toBe(base);
  });

  it('keeps fields apart: moving text from one field to the next gives another hash', () => {
    const split = chainHash(key, GENESIS_HASH, { ...event, ip: '127.0.0.1', userAgent: 'x' });
    const moved = chainHash(key, GENESIS_HASH, { ...event, ip: '127.0.0.1x', userAgent: '' });
    expect(split).not.toBe(moved);
  });
});
