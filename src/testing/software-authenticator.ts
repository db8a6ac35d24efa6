// A software WebAuthn authenticator for API tests: a P-256 key pair, 'none' attestation, and
// assertions signed the way a real authenticator signs them (WebAuthn §6.1, §6.3.3, §8.7).
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface SoftwareAuthenticator {
  credentialId: string;
  /** The signature counter the next assertion carries; tests may wind it back. */
  counter: number;
  /** navigator.credentials.create() for these options, as RegistrationResponseJSON. */
  register(options: { challenge: string; rpId: string; origin: string }): RegistrationJSON;
  /** navigator.credentials.get() for these options, as AuthenticationResponseJSON. */
  assert(options: { challenge: string; rpId: string; origin: string; signWith?: KeyObject }): AssertionJSON;
}

export interface RegistrationJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
}

export interface AssertionJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string };
  clientExtensionResults: Record<string, never>;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

/** `keepsCounter: false` acts like a synced passkey, whose counter stays 0. */
export function softwareAuthenticator(options: { keepsCounter?: boolean } = {}): SoftwareAuthenticator {
  const keepsCounter = options.keepsCounter ?? true;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rawId = randomBytes(32);
  const credentialId = rawId.toString('base64url');
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 9053 §7.1.1: an EC2 key, ES256, curve P-256.
  const cosePublicKey = cbor(
    new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
  const authenticator: SoftwareAuthenticator = {
    credentialId,
    counter: 0,
    register({ challenge, rpId, origin }) {
      const clientDataJSON = clientData('webauthn.create', challenge, origin);
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(authenticator.counter);
      const credentialIdLength = Buffer.alloc(2);
      credentialIdLength.writeUInt16BE(rawId.length);
      const authData = Buffer.concat([
        sha256(Buffer.from(rpId)),
        Buffer.from([FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_CREDENTIAL_DATA]),
        counter,
        Buffer.alloc(16), // AAGUID: none
        credentialIdLength,
        rawId,
        cosePublicKey,
      ]);
      const attestationObject = cbor(new Map<string, CborValue>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: clientDataJSON.toString('base64url'), attestationObject: attestationObject.toString('base64url'), transports: ['internal'] },
        clientExtensionResults: {},
      };
    },
    assert({ challenge, rpId, origin, signWith }) {
      if (keepsCounter) authenticator.counter += 1;
      const clientDataJSON = clientData('webauthn.get', challenge, origin);
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(authenticator.counter);
      const authenticatorData = Buffer.concat([sha256(Buffer.from(rpId)), Buffer.from([FLAG_USER_PRESENT | FLAG_USER_VERIFIED]), counter]);
      // ES256: an ASN.1 DER ECDSA signature over authenticatorData ‖ SHA-256(clientDataJSON).
      const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), signWith ?? privateKey);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientDataJSON.toString('base64url'),
          authenticatorData: authenticatorData.toString('base64url'),
          signature: signature.toString('base64url'),
        },
        clientExtensionResults: {},
      };
    },
  };
  return authenticator;
}

/** Another key, for an assertion that claims the credential but is not signed by it. */
export function strangerKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

// Just enough CBOR (RFC 8949) for attestation objects and COSE keys: integers, byte and text
// strings, and maps, in definite lengths.
type CborValue = number | string | Buffer | Map<number | string, CborValue>;

function cbor(value: CborValue): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

function head(majorType: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(majorType << 5) | length]);
  if (length < 0x100) return Buffer.from([(majorType << 5) | 24, length]);
  if (length < 0x10000) {
    const buffer = Buffer.alloc(3);
    buffer[0] = (majorType << 5) | 25;
    buffer.writeUInt16BE(length, 1);
    return buffer;
  }
  const buffer = Buffer.alloc(5);
  buffer[0] = (majorType << 5) | 26;
  buffer.writeUInt32BE(length, 1);
  return buffer;
}
