// Hostile input (issue #5; SPEC §7: "Bad input of any shape gets a clear 4xx error and changes
// nothing"; ASVS 5.0 V1, V2.2, V4): generated requests over every route the app has — read from
// its router and its OpenAPI document, never from a hand list — with malformed and mistyped
// JSON, huge strings, unicode edge cases, prototype-pollution keys, repeated and missing
// headers, bad cookies; as nobody, as signed-in customers and staff, and half-way through
// signing in. Properties: never a 5xx; every refusal a catalogued JSON error with nothing
// internal in it; no crash; Object.prototype untouched; a refused request leaves the database
// as it was. Then the body limit (413 past 64 KiB) and slow clients cut off by the time-outs.
//
// fast-check makes RUNS_PER_ENGINE requests on each engine from a fixed seed; FC_SEED and
// FC_RUNS override both. A failure prints the seed, the path and the shrunk request.
import { type Socket, connect } from 'node:net';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorBodySchema } from '../contract/api.js';
import { type ErrorCode, errorCatalogue } from '../contract/errors.js';
import { type HttpTimeouts, buildApp, productionTimeouts } from '../src/app.js';
import { builtWebRoot } from '../src/adapters/http/routes/web-routes.js';
import { BACKUP_CODES_FACTOR_ID } from '../src/modules/twofactor/factors.js';
import { createLogger } from '../src/shared/logger.js';
import { sha256Hex } from '../src/shared/secrets.js';
import { describeEachEngine, testEngines } from '../src/testing/databases.js';
import { type Harness, TEST_ORIGIN, type TestUser, addUser, signIn, startHarness } from '../src/testing/harness.js';

/** 5,000 on each engine: an `npm test` run (PGlite and PostgreSQL) makes over 10,000. */
const RUNS_PER_ENGINE = Number(process.env.FC_RUNS ?? 5_000);
const SEED = Number(process.env.FC_SEED ?? 20_261_128);
/** Some 30 s on either engine on a quiet 2-core machine; room for a busy one and for shrinking a failure. */
const PROPERTY_TIMEOUT_MS = Math.max(240_000, RUNS_PER_ENGINE * 50);
const BODY_LIMIT_BYTES = 64 * 1024;

// Sessions, step-up and lock-outs that do not run out while thousands of requests go by (and
// the clock moves 30 s at each re-sign-in): a refusal is then about the input alone.
const longLivedPolicy = {
  sessions: { idleTimeoutInSeconds: 10_000_000, absoluteTimeoutInSeconds: 10_000_000, pendingTimeoutInSeconds: 10_000_000, stepUpWindowInSeconds: 10_000_000 },
  throttle: { maxSecondFactorFailures: 1_000_000, lockoutInSeconds: 1800 },
};

// ---------------------------------------------------------------------------------------------
// The routes, from the app itself.

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

interface Route {
  method: string;
  /** As the router holds it: `/api/banking/me/two-factor/factors/:factorId`, `/admin/*`. */
  path: string;
  body: JsonSchema | null;
  query: Record<string, JsonSchema>;
  /** By name, as in the path (`:factorId`); a wildcard has none. */
  params: Record<string, JsonSchema>;
}

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
}

/**
 * Every (method, path) in Fastify's route tree, with the body, query and path schemas the
 * OpenAPI document gives it; the routes hidden from the document (the web pages, the document itself)
 * are fuzzed without a schema.
 */
function routesOf(app: FastifyInstance): Route[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: Route[] = [];
  const ancestors: string[] = [];
  // The radix tree, each line a node: its path is its ancestors' segments joined. (Printed
  // without common prefixes the tree loses wildcard routes: `/assets/*` and `/*` collide.)
  for (const line of app.printRoutes().split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = `${ancestors[depth - 1] ?? ''}${match[2] ?? ''}`;
    ancestors[depth] = path;
    ancestors.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      const operation = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      const query: Record<string, JsonSchema> = {};
      const params: Record<string, JsonSchema> = {};
      for (const parameter of operation?.parameters ?? []) {
        if (parameter.in === 'query') query[parameter.name] = parameter.schema ?? {};
        if (parameter.in === 'path') params[parameter.name] = parameter.schema ?? {};
      }
      routes.push({ method, path, body: operation?.requestBody?.content?.['application/json']?.schema ?? null, query, params });
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// What a request is made of. Values naming real things (a user's id, a factor, a session, a
// username) are references into the world's pool, resolved when the request is sent: the pool
// grows as requests succeed and sessions are opened again.

type JsonNode =
  | { t: 'literal'; json: string }
  | { t: 'string'; value: string }
  | { t: 'known'; index: number }
  | { t: 'array'; items: JsonNode[] }
  | { t: 'object'; entries: [string, JsonNode][] };

type Body = { kind: 'none' } | { kind: 'json'; node: JsonNode } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };

type Who = 'nobody' | 'customer' | 'staff' | 'pending' | 'both' | 'crossed';
type CookieNoise = 'none' | 'garbage' | 'long' | 'many' | 'repeated' | 'duplicate-header' | 'syntax';
/** A path segment or query value: percent-encoded text, a pool reference, or raw URL bytes. */
type UrlPart = { t: 'text'; value: string } | { t: 'known'; index: number } | { t: 'raw'; value: string };

interface HostileRequest {
  method: string;
  routePath: string;
  params: UrlPart[];
  query: [string, UrlPart][];
  body: Body;
  contentType: string | string[] | null;
  origin: string | string[] | null;
  who: Who;
  cookieNoise: { kind: CookieNoise; value: string };
  headers: [string, string | string[]][];
  remoteAddress: string;
}

const POLLUTION_MARK = 'latchkeyPolluted';
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Strings that have broken servers: NUL, lone surrogates, bidi overrides, injections, near-ids. */
const nastyStrings = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udc00y', '\u202e', '\u202egnp.exe', '\u200b', '\ufeff', '\u2028\u2029',
  '👩‍👩‍👧‍👦', '🏦', 'e\u0301', 'ǅ', 'İ', 'ß', 'ﷺ', '\r\n', '\t', '%00', '%', '..%2f..%2f', '../../../etc/passwd', "' OR '1'='1",
  '"; DROP TABLE users; --', '<script>alert(1)</script>', '{{7*7}}', '${7*7}', 'null', 'undefined', 'NaN', 'true', '0', '-1',
  '1e309', '9'.repeat(30), '-'.repeat(36), 'g'.repeat(36), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'ZZZZ-ZZZZ-ZZZZ-ZZZZ', '000000', '123456', '+44 7700 900123', 'A'.repeat(65), 'é'.repeat(151), BACKUP_CODES_FACTOR_ID,
  ...PROTOTYPE_KEYS, 'toString', 'hasOwnProperty', POLLUTION_MARK,
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const plainHostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('\u0000', '\u202e', 'a', '-')), maxLength: 8 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f-]{36}$/) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...nastyStrings), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '😀', '\u0000', '\ud800'), fc.integer({ min: 100, max: 3_000 })).map(([unit, count]) => unit.repeat(count)) },
);
/** Opaque tokens (cursors) are base64url JSON to the server: feed it hostile JSON that way too. */
const opaqueToken = fc
  .tuple(plainHostileString, plainHostileString, fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f-]{36}$/), plainHostileString))
  .map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url'));
const hostileString = fc.oneof({ weight: 12, arbitrary: plainHostileString }, { weight: 1, arbitrary: opaqueToken });

/** Characters an HTTP/1.1 header value may carry (Node refuses the others before the app sees them). */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((code) => String.fromCharCode(code));
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 40 }),
  fc.constantFrom('', ' ', '%00', '..%2f', 'null', '"quoted"', ';;;', '=', 'a'.repeat(8_000)),
);

const known: fc.Arbitrary<JsonNode> = fc.nat().map((index) => ({ t: 'known', index }));
const literal = fc
  .constantFrom('null', 'true', 'false', '0', '-0', '-1', '1.5', '1e999', '-1e999', '9007199254740993', '1e-400', '[]', '{}', '""')
  .map((json): JsonNode => ({ t: 'literal', json }));

const hostileValue: fc.Arbitrary<JsonNode> = fc.letrec<{ node: JsonNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    hostileString.map((value): JsonNode => ({ t: 'string', value })),
    known,
    fc.array(tie('node'), { maxLength: 4 }).map((items): JsonNode => ({ t: 'array', items })),
    fc.array(fc.tuple(fc.oneof(hostileString, fc.constantFrom(...PROTOTYPE_KEYS)), tie('node')), { maxLength: 4 }).map((entries): JsonNode => ({ t: 'object', entries })),
  ),
})).node;

const marked: JsonNode = { t: 'object', entries: [[POLLUTION_MARK, { t: 'literal', json: 'true' }]] };
/** `{"__proto__": {"latchkeyPolluted": true}}` and its relatives, as a JSON parser meets them. */
const pollutionEntry = fc.constantFrom<[string, JsonNode]>(
  ['__proto__', marked],
  ['constructor', { t: 'object', entries: [['prototype', marked]] }],
  ['prototype', marked],
  ['__proto__', { t: 'literal', json: 'null' }],
);

/** A hostile string cut or padded to the schema's length, so that it passes validation and goes on in. */
function fitting(schema: JsonSchema): fc.Arbitrary<JsonNode> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? Number.POSITIVE_INFINITY;
  return plainHostileString.map((value): JsonNode => ({ t: 'string', value: value.slice(0, maxLength).padEnd(minLength, 'a') }));
}

/**
 * Plausible values no schema spells out (a fuzzer's dictionary): phone numbers, names, labels,
 * codes of each kind, so that requests get past the use cases' own checks too.
 */
const plausibleStrings = [
  '+44 7700 900123', '+1 202 555 0143', '+33 6 12 34 56 78', '07700 900123', 'Anne-Marie', "O'Neil", 'José', '李雷', 'My phone', 'Work laptop',
  'Identity checked at the branch', '123456', '000000', 'ABCD-EFGH-JKMN-PQRS', '7KQ4M9XT2HCWP3RD', 'new.address@example.test', 'a long and unusual passphrase 42',
];

function validString(schema: JsonSchema): fc.Arbitrary<JsonNode> {
  const text = (arbitrary: fc.Arbitrary<string>) => arbitrary.map((value): JsonNode => ({ t: 'string', value }));
  if (schema.format === 'uuid') return fc.oneof(known, text(fc.uuid()));
  if (schema.format === 'email') return fc.oneof(known, text(fc.emailAddress()));
  if (schema.format === 'date-time') return text(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()));
  if (schema.pattern !== undefined) {
    try {
      return text(fc.stringMatching(new RegExp(schema.pattern, 'u'), { size: 'xsmall' }).map((value) => value.slice(0, schema.maxLength)));
    } catch {
      // A pattern fast-check cannot generate from: strings of the right length will do.
    }
  }
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  return fc.oneof(known, text(fc.constantFrom(...plausibleStrings)), text(fc.string({ minLength: Math.min(schema.minLength ?? 0, maxLength), maxLength })));
}

/** Shaped like the schema, each part right, hostile but fitting, or wrong: missing fields, other types, extra and prototype keys. */
function shaped(schema: JsonSchema, depth = 0): fc.Arbitrary<JsonNode> {
  const wrong = depth > 3 ? literal : hostileValue;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined && alternatives.length > 0) return fc.oneof(...alternatives.map((alternative) => shaped(alternative, depth + 1)));
  const either = (right: fc.Arbitrary<JsonNode>) => fc.oneof({ weight: 5, arbitrary: right }, { weight: 1, arbitrary: wrong });
  if (schema.enum !== undefined) return either(fc.constantFrom(...schema.enum).map((value): JsonNode => ({ t: 'literal', json: JSON.stringify(value) })));
  if (schema.const !== undefined) return either(fc.constant<JsonNode>({ t: 'literal', json: JSON.stringify(schema.const) }));
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0) return hostileValue;
      const required = new Set(schema.required ?? []);
      const fields = properties.map(([name, property]) =>
        fc.oneof(
          { weight: required.has(name) ? 10 : 4, arbitrary: shaped(property, depth + 1).map((node): [string, JsonNode][] => [[name, node]]) },
          { weight: 1, arbitrary: fc.constant<[string, JsonNode][]>([]) },
        ),
      );
      const extras = fc.oneof(
        { weight: 8, arbitrary: fc.constant<[string, JsonNode][]>([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(hostileString, hostileValue), { maxLength: 2 }) },
        { weight: 1, arbitrary: pollutionEntry.map((entry) => [entry]) },
      );
      return either(fc.tuple(fc.tuple(...fields), extras).map(([parts, extra]): JsonNode => ({ t: 'object', entries: [...parts.flat(), ...extra] })));
    }
    case 'array':
      return either(fc.array(shaped(schema.items ?? {}, depth + 1), { maxLength: 4 }).map((items): JsonNode => ({ t: 'array', items })));
    case 'string':
      return fc.oneof({ weight: 4, arbitrary: validString(schema) }, { weight: 4, arbitrary: fitting(schema) }, { weight: 1, arbitrary: wrong });
    case 'integer':
    case 'number':
      return either(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map((value): JsonNode => ({ t: 'literal', json: JSON.stringify(value) })));
    case 'boolean':
      return either(fc.boolean().map((value): JsonNode => ({ t: 'literal', json: String(value) })));
    default:
      return hostileValue;
  }
}

/** A body: shaped, hostile JSON, broken JSON, bytes, deep nesting, or huge (around and past the limit). */
function bodyOf(route: Route): fc.Arbitrary<Body> {
  const json = (node: fc.Arbitrary<JsonNode>) => node.map((value): Body => ({ kind: 'json', node: value }));
  const shapedNode = route.body === null ? hostileValue : shaped(route.body);
  const withPollution = fc
    .tuple(shapedNode, pollutionEntry)
    .map(([node, entry]): JsonNode => (node.t === 'object' ? { t: 'object', entries: [entry, ...node.entries] } : { t: 'object', entries: [entry] }));
  const brokenJson = fc.constantFrom(
    '{', '}', '{"', '{"a":', '{"a":1,}', "{'username':'x'}", '{"a":1}{"b":2}', '\ufeff{}', 'NaN', 'undefined', '[', ']]]', '{"a":"\\ud800"}',
    '{"username":"a","username":"b","password":"c"}', '{"__proto__":{"latchkeyPolluted":true}}', '{"a":"\\u0000"}', '  ', '\u0000',
  );
  const huge = fc
    .tuple(fc.constantFrom('a', 'é', '😀', '\u0000'), fc.constantFrom(60_000, BODY_LIMIT_BYTES - 20, BODY_LIMIT_BYTES + 1, 70_000, 300_000), hostileString)
    .map(([unit, bytes, key]): Body => {
      const bytesPerUnit = Buffer.byteLength(JSON.stringify(unit).slice(1, -1));
      return { kind: 'json', node: { t: 'object', entries: [[key, { t: 'string', value: unit.repeat(Math.ceil(bytes / bytesPerUnit)) }]] } };
    });
  const deep = fc
    .tuple(fc.integer({ min: 100, max: 30_000 }), fc.boolean())
    .map(([depth, arrays]): Body => ({ kind: 'text', text: arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` }));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<Body>({ kind: 'none' }) },
    { weight: 12, arbitrary: json(shapedNode) },
    { weight: 2, arbitrary: json(withPollution) },
    { weight: 2, arbitrary: json(hostileValue) },
    { weight: 2, arbitrary: fc.oneof(brokenJson, fc.string({ maxLength: 40 })).map((text): Body => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes): Body => ({ kind: 'bytes', bytes })) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: huge },
  );
}

const urlPart: fc.Arbitrary<UrlPart> = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map((index): UrlPart => ({ t: 'known', index })) },
  { weight: 2, arbitrary: fc.uuid().map((value): UrlPart => ({ t: 'text', value })) },
  { weight: 4, arbitrary: hostileString.map((value): UrlPart => ({ t: 'text', value })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('..%2f..%2fetc%2fpasswd', '..%2f..%2f..%2fpackage.json', '%2e%2e%2f%2e%2e%2fpackage.json', '%2e%2e', '..', '.', '%', '%zz', '%c0%ae%c0%ae', '%ff', '%00', '%u0000', ';x=1', '%2f', '%252f', '%E2%80%AE', 'a'.repeat(201), 'a'.repeat(5_000))
      .map((value): UrlPart => ({ t: 'raw', value })),
  },
);

/** A path parameter or query value: right for its schema (a real id, any UUID, a number) as often as hostile. */
function urlPartFor(schema: JsonSchema | undefined): fc.Arbitrary<UrlPart> {
  if (schema === undefined) return urlPart;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const right =
    type === 'integer' || type === 'number'
      ? fc.integer({ min: -5, max: 300 }).map((value): UrlPart => ({ t: 'text', value: String(value) }))
      : validString(schema).map((node): UrlPart => (node.t === 'known' ? node : { t: 'text', value: node.t === 'string' ? node.value : '' }));
  return fc.oneof({ weight: 1, arbitrary: right }, { weight: 1, arbitrary: urlPart });
}

const cookieNoise = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'none' as CookieNoise, value: '' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom<CookieNoise>('garbage', 'long', 'many', 'repeated', 'duplicate-header', 'syntax'), value: headerValue }) },
);

const extraHeaders = fc.oneof(
  { weight: 3, arbitrary: fc.constant<[string, string | string[]][]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom('x-request-id', 'user-agent', 'accept', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'host', 'accept-language', 'content-encoding', 'authorization', 'referer', 'accept-version'), headerValue),
        fc.tuple(fc.constantFrom('x-request-id', 'user-agent', 'host', 'authorization', 'x-forwarded-for'), fc.array(headerValue, { minLength: 2, maxLength: 3 })),
      ) as fc.Arbitrary<[string, string | string[]]>,
      { minLength: 1, maxLength: 3 },
    ),
  },
);

const contentTypes = fc.oneof(
  { weight: 16, arbitrary: fc.constant<string | string[] | null>('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | string[] | null>(
      null, 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;;;', 'application/jsonx',
      'application/json, text/plain', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/xml', '', ';', '*/*', 'application/merge-patch+json', ['application/json', 'text/plain'], ['text/plain', 'application/json'],
    ),
  },
);

const origins = fc.oneof(
  { weight: 16, arbitrary: fc.constant<string | string[] | null>(TEST_ORIGIN) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | string[] | null>(null, 'null', 'http://evil.example', `${TEST_ORIGIN}/`, 'HTTP://LOCALHOST:80', 'http://localhost', [TEST_ORIGIN, TEST_ORIGIN], [TEST_ORIGIN, 'http://evil.example']),
  },
);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Who a route is for: its surface's signed-in user, or the half-signed-in one for the second-factor step. */
function ownerOf(route: Route): Who {
  if (/\/login\/(verify|challenge)$/.test(route.path)) return 'pending';
  if (route.path.startsWith('/api/admin/')) return 'staff';
  return route.path.startsWith('/api/banking/') ? 'customer' : 'nobody';
}

function requestsTo(route: Route): fc.Arbitrary<HostileRequest> {
  const params = (route.path.match(/:\w+|\*/g) ?? []).map((name) => urlPartFor(route.params[name.slice(1)]));
  const queryKeys = Object.keys(route.query);
  const strangeKey = fc.oneof(fc.constantFrom('__proto__', '__proto__[x]', 'constructor[prototype][x]', 'a[]', 'limit', 'cursor', ''), hostileString);
  const queryPair = fc.oneof(
    ...queryKeys.map((key) => ({ weight: 2, arbitrary: fc.tuple(fc.constant(key), urlPartFor(route.query[key])) })),
    { weight: 1, arbitrary: fc.tuple(strangeKey, urlPart) },
  );
  return fc.record({
    method: fc.oneof({ weight: 15, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
    routePath: fc.constant(route.path),
    params: fc.tuple(...params),
    query: fc.oneof(
      { weight: queryKeys.length > 0 ? 1 : 6, arbitrary: fc.constant<[string, UrlPart][]>([]) },
      { weight: queryKeys.length > 0 ? 4 : 1, arbitrary: fc.array(queryPair, { minLength: 1, maxLength: 4 }) },
    ),
    body: route.method === 'GET' || route.method === 'HEAD' ? fc.oneof({ weight: 8, arbitrary: fc.constant<Body>({ kind: 'none' }) }, { weight: 1, arbitrary: bodyOf(route) }) : bodyOf(route),
    contentType: contentTypes,
    origin: origins,
    who: fc.oneof({ weight: 6, arbitrary: fc.constant(ownerOf(route)) }, { weight: 2, arbitrary: fc.constantFrom<Who>('nobody', 'customer', 'staff', 'pending', 'both', 'crossed') }),
    cookieNoise,
    headers: extraHeaders,
    remoteAddress: fc.oneof(fc.ipV4(), fc.ipV6()),
  });
}

/** Each route's arbitrary is built once; a route with a body, parameters or a query gets more requests. */
function requestsOver(routes: Route[]): fc.Arbitrary<HostileRequest> {
  const weightOf = (route: Route) => 1 + (route.body === null ? 0 : 2) + (Object.keys(route.params).length + Object.keys(route.query).length > 0 ? 1 : 0);
  return fc.oneof(...routes.map((route) => ({ weight: weightOf(route), arbitrary: requestsTo(route) })));
}

// ---------------------------------------------------------------------------------------------
// The world the requests hit: a customer and a staff administrator signed in, one of each
// half-way (password only), a bystander; and a pool of real ids and names to aim at.

interface Identity {
  user: TestUser;
  surface: 'banking' | 'admin';
  state: 'active' | 'pending';
  token: string;
}

const ROLES = ['customer', 'staff', 'pendingCustomer', 'pendingStaff'] as const;

interface World {
  harness: Harness;
  identities: Record<(typeof ROLES)[number], Identity>;
  bystander: TestUser;
  pool: string[];
}

async function openSession(harness: Harness, user: TestUser, surface: 'banking' | 'admin', state: 'active' | 'pending'): Promise<Identity> {
  let token: string | undefined;
  if (state === 'active') {
    token = (await signIn(harness, user, surface)).cookie(`latchkey_${surface}`);
  } else {
    const client = harness.client();
    const reply = await client.post(`/api/${surface}/login`, { username: user.username, password: user.password });
    if (reply.statusCode !== 200) throw new Error(`password step failed: ${reply.body}`);
    token = client.cookie(`latchkey_${surface}`);
  }
  if (token === undefined) throw new Error('no session cookie');
  return { user, surface, state, token };
}

async function refreshPool(world: World): Promise<void> {
  const { db } = world.harness.deps;
  const users = [...ROLES.map((role) => world.identities[role].user), world.bystander];
  const sessions = await db.selectFrom('sessions').select('id').execute();
  const factors = await db.selectFrom('factors').select('id').execute();
  world.pool = [
    ...users.flatMap((user) => [user.id, user.username, `${user.username}@example.test`]),
    ...factors.map((factor) => factor.id),
    ...sessions.map((session) => session.id),
    BACKUP_CODES_FACTOR_ID,
  ];
}

async function createWorld(harness: Harness): Promise<World> {
  const permissions = ['users.generate_lockout_codes', 'users.view', 'users.change', 'audit.view', 'staff.manage'];
  const customer = await addUser(harness, { kind: 'customer' });
  const staff = await addUser(harness, { kind: 'staff', isAdmin: true, permissions });
  const pendingCustomer = await addUser(harness, { kind: 'customer' });
  const pendingStaff = await addUser(harness, { kind: 'staff', permissions });
  const world: World = {
    harness,
    identities: {
      customer: await openSession(harness, customer, 'banking', 'active'),
      staff: await openSession(harness, staff, 'admin', 'active'),
      pendingCustomer: await openSession(harness, pendingCustomer, 'banking', 'pending'),
      pendingStaff: await openSession(harness, pendingStaff, 'admin', 'pending'),
    },
    bystander: await addUser(harness, { kind: 'customer' }),
    pool: [],
  };
  await refreshPool(world);
  return world;
}

/**
 * After a request that succeeded and may have changed things (a sign-out, sessions ended by
 * staff, a factor enrolled): identities whose session is gone sign in again, so that later
 * requests still reach the signed-in code paths, and the pool learns the new ids.
 */
async function afterSuccess(world: World): Promise<void> {
  const tokens = ROLES.map((role) => sha256Hex(world.identities[role].token));
  const alive = await world.harness.deps.db.selectFrom('sessions').select(['token_hash', 'state']).where('token_hash', 'in', tokens).execute();
  for (const role of ROLES) {
    const identity = world.identities[role];
    if (alive.some((row) => row.token_hash === sha256Hex(identity.token) && row.state === identity.state)) continue;
    world.identities[role] = await openSession(world.harness, identity.user, identity.surface, identity.state);
  }
  await refreshPool(world);
}

// ---------------------------------------------------------------------------------------------
// Turning a generated request into an injected one.

/** Percent-encodes UTF-8 (a lone surrogate becomes U+FFFD, as in any client). */
function percentEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function fromPool(pool: string[], index: number): string {
  return pool[index % pool.length] ?? '';
}

function urlText(part: UrlPart, pool: string[]): string {
  if (part.t === 'raw') return part.value;
  return percentEncode(part.t === 'known' ? fromPool(pool, part.index) : part.value);
}

function serialize(node: JsonNode, pool: string[]): string {
  switch (node.t) {
    case 'literal':
      return node.json;
    case 'string':
      return JSON.stringify(node.value);
    case 'known':
      return JSON.stringify(fromPool(pool, node.index));
    case 'array':
      return `[${node.items.map((item) => serialize(item, pool)).join(',')}]`;
    case 'object':
      return `{${node.entries.map(([key, value]) => `${JSON.stringify(key)}:${serialize(value, pool)}`).join(',')}}`;
  }
}

function cookieHeader(request: HostileRequest, world: World): string | string[] | undefined {
  const { customer, staff, pendingCustomer, pendingStaff } = world.identities;
  const base = {
    nobody: [] as string[],
    customer: [`latchkey_banking=${customer.token}`],
    staff: [`latchkey_admin=${staff.token}`],
    pending: [`latchkey_banking=${pendingCustomer.token}`, `latchkey_admin=${pendingStaff.token}`],
    both: [`latchkey_banking=${customer.token}`, `latchkey_admin=${staff.token}`],
    crossed: [`latchkey_admin=${customer.token}`, `latchkey_banking=${staff.token}`],
  }[request.who];
  const { kind, value } = request.cookieNoise;
  const garbage = ['latchkey_banking', 'latchkey_admin', 'latchkey_device_banking', 'latchkey_device_admin'].map((name) => `${name}=${value}`).join('; ');
  switch (kind) {
    case 'none':
      return base.length === 0 ? undefined : base.join('; ');
    case 'garbage':
      return [garbage, ...base].join('; ');
    case 'long':
      return [`latchkey_banking=${'A'.repeat(6_000)}`, ...base].join('; ');
    case 'many':
      return [...Array.from({ length: 300 }, (_, index) => `c${index}=${index}`), ...base].join('; ');
    case 'repeated':
      return [...base, ...base, garbage].join('; ');
    case 'duplicate-header':
      return [garbage, base.join('; ') || 'a=b'];
    case 'syntax':
      return `;;=;${value};=x; ${base.map((cookie) => cookie.replace('=', ' = "')).join(';')}`;
  }
}

async function send(world: World, request: HostileRequest): Promise<{ reply: LightMyRequestResponse; url: string }> {
  let index = 0;
  const path = request.routePath.replace(/:\w+|\*/g, () => urlText(request.params[index++] ?? { t: 'text', value: '' }, world.pool));
  const query = request.query.map(([key, value]) => `${percentEncode(key)}=${urlText(value, world.pool)}`).join('&');
  const url = query === '' ? path : `${path}?${query}`;
  const headers: Record<string, string | string[]> = Object.fromEntries(request.headers);
  if (request.origin !== null) headers.origin = request.origin;
  const cookie = cookieHeader(request, world);
  if (cookie !== undefined) headers.cookie = cookie;
  const { body } = request;
  const payload =
    body.kind === 'json' ? serialize(body.node, world.pool)
    : body.kind === 'text' ? body.text
    : body.kind === 'bytes' ? Buffer.from(body.bytes)
    : undefined;
  if (payload !== undefined && request.contentType !== null) headers['content-type'] = request.contentType;
  const reply = await world.harness.app.inject({
    method: request.method as 'GET',
    url,
    headers,
    remoteAddress: request.remoteAddress,
    ...(payload === undefined ? {} : { payload }),
  });
  return { reply, url };
}

// ---------------------------------------------------------------------------------------------
// The properties.

/** What a file outside the web root would show: the system's users, the server's own package. */
const OUTSIDE_WEB_ROOT = /root:x?:0:0:|"name":\s*"latchkey"/;
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|\.ts:\d|\.js:\d|Error:|SQLSTATE|syntax error|relation "|column "|violates|invalid input syntax|kysely|pglite|postgres/i;

/** Never a 5xx nor a file from outside the web root; a refusal is `{error: {code, message}}` with a catalogued code for its status, and nothing internal. */
function replyProblem(reply: LightMyRequestResponse, method: string): string | null {
  if (reply.statusCode >= 500) return `status ${reply.statusCode}: ${reply.body.slice(0, 500)}`;
  if (OUTSIDE_WEB_ROOT.test(reply.body)) return `a file from outside the web root: ${reply.body.slice(0, 200)}`;
  if (reply.statusCode < 400 || method === 'HEAD') return null;
  if (!String(reply.headers['content-type'] ?? '').startsWith('application/json')) return `a refusal that is not JSON: ${reply.headers['content-type']}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    return `a refusal whose body does not parse: ${reply.body.slice(0, 200)}`;
  }
  const body = errorBodySchema.safeParse(parsed);
  if (!body.success) return `a refusal that is not an error body: ${reply.body.slice(0, 300)}`;
  const code = body.data.error.code as ErrorCode;
  if (errorCatalogue[code].status !== reply.statusCode) return `code ${code} with status ${reply.statusCode}`;
  if (INTERNALS.test(reply.body)) return `internal detail in a refusal: ${reply.body.slice(0, 300)}`;
  return null;
}

function errorCodeOf(reply: LightMyRequestResponse): ErrorCode | null {
  try {
    return (JSON.parse(reply.body) as { error?: { code?: ErrorCode } }).error?.code ?? null;
  } catch {
    return null;
  }
}

// A refusal may spend an attempt: that is the throttle at work (SECURITY §3.1; STYLE guard
// order "spend an attempt" before the check). A wrong code counts against the account, and a
// wrong second factor at sign-in tells the user; after such a refusal, and only then, these
// columns and these notices may change.
const ATTEMPT_REFUSALS = new Set<ErrorCode>(['invalid_code', 'invalid_credentials', 'too_many_attempts']);
const ATTEMPT_COUNTERS: Record<string, string[]> = {
  users: ['second_factor_failures', 'second_factor_locked_until', 'pending_email_attempts'],
  sms_codes: ['attempts'],
};
const ATTEMPT_NOTICES = { table: 'notifications', unlessWhere: `kind <> 'second_factor_failed'` };

type Snapshot = Record<string, string>;

/**
 * One query that digests every table, found in the schema so that a table added later is
 * covered. Left out: the audit tables (the audit trail records refusals by design, and its
 * hash chain moves with it) and sessions.last_seen_at (any request bearing a session touches
 * it, whatever it asks). A table with attempt bookkeeping has a second digest, `<table>~attempts`,
 * without it.
 */
async function snapshotQuery(harness: Harness): Promise<string> {
  const found = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(harness.deps.db);
  const tables = found.rows.map((row) => row.table_name).filter((table) => !table.startsWith('audit_'));
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const digest = (table: string, leftOut: string[], where: string) => {
    const row = leftOut.length === 0 ? 'x::text' : `(to_jsonb(x) - ARRAY[${leftOut.map((column) => `'${column}'`).join(', ')}]::text[])::text`;
    return `(SELECT md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) FROM ${quote(table)} x${where})`;
  };
  const parts = tables.flatMap((table) => {
    const leftOut = table === 'sessions' ? ['last_seen_at'] : [];
    const strict = `${digest(table, leftOut, '')} AS ${quote(table)}`;
    const counters = ATTEMPT_COUNTERS[table] ?? [];
    if (counters.length === 0 && table !== ATTEMPT_NOTICES.table) return [strict];
    const where = table === ATTEMPT_NOTICES.table ? ` WHERE ${ATTEMPT_NOTICES.unlessWhere}` : '';
    return [strict, `${digest(table, [...leftOut, ...counters], where)} AS ${quote(`${table}~attempts`)}`];
  });
  return `SELECT ${parts.join(', ')}`;
}

async function takeSnapshot(harness: Harness, query: string): Promise<Snapshot> {
  const result = await sql.raw<Snapshot>(query).execute(harness.deps.db);
  return result.rows[0] ?? {};
}

/** Tables that changed; after an attempt refusal, a table with bookkeeping is compared without it. */
function changedTables(before: Snapshot, after: Snapshot, attemptSpent: boolean): string[] {
  const keys = Object.keys(before);
  return keys.filter((key) => {
    const compared = key.endsWith('~attempts') || !attemptSpent || !keys.includes(`${key}~attempts`);
    return compared && before[key] !== after[key];
  });
}

function prototypeNames(): string {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((prototype) => Object.getOwnPropertyNames(prototype).sort().join(',')).join('|');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Requests with a safe method change nothing whatever they get back; they are checked in batches of this many. */
const SAFE_BATCH = 20;

const processFaults: unknown[] = [];
const recordFault = (fault: unknown) => processFaults.push(fault);
beforeAll(() => {
  process.on('uncaughtException', recordFault);
  process.on('unhandledRejection', recordFault);
});
afterAll(() => {
  process.off('uncaughtException', recordFault);
  process.off('unhandledRejection', recordFault);
});

describeEachEngine('hostile input', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine, { policy: longLivedPolicy, webRoot: builtWebRoot() });
  });
  afterEach(async () => harness.close());

  it(`${RUNS_PER_ENGINE} generated requests over every route: never a 5xx, every refusal a catalogued error, and a refused request changes nothing`, async () => {
    const routes = routesOf(harness.app);
    // The route list is the router's own, and holds every documented operation with its schemas.
    expect(routes.filter((route) => !harness.app.hasRoute({ method: route.method as 'GET', url: route.path }))).toEqual([]);
    const doc = harness.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const listed = new Set(routes.map((route) => `${route.method} ${route.path}`));
    expect(documented.filter((operation) => !listed.has(operation))).toEqual([]);
    expect(routes.filter((route) => route.body !== null).length).toBeGreaterThan(20);
    expect(listed).toContain('GET /assets/*');

    const world = await createWorld(harness);
    const query = await snapshotQuery(harness);
    const prototypesBefore = prototypeNames();
    const faultsBefore = processFaults.length;
    let checked = await takeSnapshot(harness, query);
    let unchecked: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;

    /** The safe requests since the last snapshot changed nothing. */
    const checkSafeBatch = async () => {
      if (unchecked.length === 0) return;
      const now = await takeSnapshot(harness, query);
      const changed = changedTables(checked, now, false);
      const batch = unchecked;
      checked = now;
      unchecked = [];
      if (changed.length > 0) throw new Error(`one of these requests changed ${changed.join(', ')}:\n${batch.join('\n')}`);
    };

    await fc.assert(
      fc.asyncProperty(requestsOver(routes), async (request) => {
        const safe = SAFE_METHODS.has(request.method);
        if (!safe) await checkSafeBatch();
        const before = checked;
        const { reply, url } = await send(world, request);
        sent += 1;
        statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
        const seen = `${request.method} ${url.length > 200 ? `${url.slice(0, 200)}…` : url} as ${request.who}, ${reply.statusCode} ${reply.body.slice(0, 200)}`;

        let changed: string[] = [];
        if (safe) {
          unchecked.push(seen);
          if (unchecked.length >= SAFE_BATCH) await checkSafeBatch();
        } else {
          const after = await takeSnapshot(harness, query);
          checked = after;
          if (reply.statusCode < 400) {
            await afterSuccess(world);
            checked = await takeSnapshot(harness, query);
          } else {
            changed = changedTables(before, after, ATTEMPT_REFUSALS.has(errorCodeOf(reply) ?? 'internal_error'));
          }
        }
        const problem = replyProblem(reply, request.method);
        if (problem !== null) throw new Error(`${problem}: ${seen}`);
        if (changed.length > 0) throw new Error(`refused, yet changed ${changed.join(', ')}: ${seen}`);
        if (POLLUTION_MARK in {}) throw new Error(`Object.prototype polluted: ${seen}`);
      }),
      { seed: SEED, numRuns: RUNS_PER_ENGINE },
    );
    await checkSafeBatch();

    console.log(`hostile input [${engine}]: ${sent} requests over ${routes.length} routes, seed ${SEED}, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(sent).toBeGreaterThanOrEqual(RUNS_PER_ENGINE);
    expect(prototypeNames()).toBe(prototypesBefore);
    expect(processFaults.slice(faultsBefore)).toEqual([]);
    expect((await harness.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok' });
  }, PROPERTY_TIMEOUT_MS);

  it('a body over 64 KiB gets 413 payload_too_large on every route that takes one, and changes nothing; 64 KiB itself is read', async () => {
    const routes = routesOf(harness.app).filter((route) => !SAFE_METHODS.has(route.method));
    const world = await createWorld(harness);
    const query = await snapshotQuery(harness);
    /** `{"pad":"aaa…"}` of exactly `bytes` bytes. */
    const bodyOfSize = (bytes: number) => `{"pad":"${'a'.repeat(bytes - '{"pad":""}'.length)}"}`;
    const injectTo = (route: Route, payload: string) =>
      send(world, {
        method: route.method,
        routePath: route.path,
        params: route.path.includes(':') ? [{ t: 'known', index: 0 }] : [],
        query: [],
        body: { kind: 'text', text: payload },
        contentType: 'application/json',
        origin: TEST_ORIGIN,
        who: ownerOf(route),
        cookieNoise: { kind: 'none', value: '' },
        headers: [],
        remoteAddress: '127.0.0.1',
      });

    expect(routes.length).toBeGreaterThan(30);
    const before = await takeSnapshot(harness, query);
    for (const route of routes) {
      const { reply } = await injectTo(route, bodyOfSize(BODY_LIMIT_BYTES + 1));
      expect({ route: `${route.method} ${route.path}`, status: reply.statusCode, body: reply.json() }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 413,
        body: { error: { code: 'payload_too_large', message: errorCatalogue.payload_too_large.message } },
      });
    }
    expect(changedTables(before, await takeSnapshot(harness, query), false)).toEqual([]);
    for (const route of routes) {
      const { reply } = await injectTo(route, bodyOfSize(BODY_LIMIT_BYTES));
      expect({ route: `${route.method} ${route.path}`, status: reply.statusCode }).not.toEqual({ route: `${route.method} ${route.path}`, status: 413 });
    }
  });
});

// Each of these was a 5xx (or worse) found by the property above; the fix is named in each.
describeEachEngine('hostile input, found and fixed', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const inject = (url: string, init: { method?: 'GET' | 'POST' | 'PATCH'; payload?: string; cookie?: string } = {}) =>
    harness.app.inject({
      method: init.method ?? 'GET',
      url,
      headers: {
        ...(init.method === undefined || init.method === 'GET' ? {} : { origin: TEST_ORIGIN, 'content-type': 'application/json' }),
        ...(init.cookie === undefined ? {} : { cookie: init.cookie }),
      },
      ...(init.payload === undefined ? {} : { payload: init.payload }),
    });
  const expectRefusal = (reply: LightMyRequestResponse, status: number, code: ErrorCode, fields?: string[]) => {
    const body = reply.json() as { error: { code: string; fields?: Record<string, string> } };
    expect({ status: reply.statusCode, code: body.error.code, fields: Object.keys(body.error.fields ?? {}) }).toEqual({ status, code, fields: fields ?? [] });
  };

  it('a URL the router cannot decode, or with a parameter over 200 characters, gets a catalogued 400 (app.ts frameworkErrors)', async () => {
    expectRefusal(await inject('/api/admin/users/%u0000'), 400, 'validation_failed');
    expectRefusal(await inject('/api/banking/me/sessions/%E0%A4%A', { method: 'POST', payload: '{}' }), 400, 'validation_failed');
    expectRefusal(await inject(`/api/admin/users/${'a'.repeat(201)}`), 400, 'validation_failed');
  });

  it('a NUL or a lone surrogate anywhere in a request is invalid: 400 naming the field, after the caller is known, and nothing is stored (adapters/http/validation.ts)', async () => {
    const customer = await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');
    const staff = await signIn(harness, await addUser(harness, { kind: 'staff', permissions: ['users.view', 'audit.view'] }), 'admin');
    const banking = `latchkey_banking=${customer.cookie('latchkey_banking')}`;
    const admin = `latchkey_admin=${staff.cookie('latchkey_admin')}`;

    expectRefusal(await inject('/api/banking/login', { method: 'POST', payload: '{"username":"a\\u0000b","password":"x"}' }), 400, 'validation_failed', ['username']);
    expectRefusal(await inject('/api/banking/login', { method: 'POST', payload: '{"username":"someone","password":"\\ud800"}' }), 400, 'validation_failed', ['password']);
    expectRefusal(await inject('/api/admin/users?q=a%00b', { cookie: admin }), 400, 'validation_failed', ['q']);
    expectRefusal(await inject('/api/admin/audit?type=%00', { cookie: admin }), 400, 'validation_failed', ['type']);
    expectRefusal(await inject('/api/banking/me/profile', { method: 'PATCH', payload: '{"firstName":"Ann\\u0000e"}', cookie: banking }), 400, 'validation_failed', ['firstName']);
    expectRefusal(await inject('/api/banking/me/two-factor/sms', { method: 'POST', payload: '{"phone":"+44 7700 900123\\u0000"}', cookie: banking }), 400, 'validation_failed', ['phone']);
    // Guard order holds: a stranger is told to sign in, not what is wrong with the input.
    expectRefusal(await inject('/api/banking/me/profile', { method: 'PATCH', payload: '{"firstName":"Ann\\u0000e"}' }), 401, 'unauthenticated');
    const stored = await harness.deps.db.selectFrom('users').select('first_name').where('first_name', 'like', 'Ann%').execute();
    expect(stored).toEqual([]);
  });

  it('an id of 36 hex digits and dashes that is not a UUID is no factor and no cursor: a refusal, not a database error (shared/uuid.ts)', async () => {
    const user = await addUser(harness, { kind: 'customer' });
    const pending = harness.client();
    await pending.post('/api/banking/login', { username: user.username, password: user.password });
    const notAUuid = '0--0a--a---a000a0-0--a00000--aa-0-a0';
    expectRefusal(await pending.post('/api/banking/login/verify', { factorId: notAUuid, code: '123456' }), 401, 'invalid_code');
    expectRefusal(await pending.post('/api/banking/login/verify', { factorId: '-'.repeat(36), code: '123456' }), 401, 'invalid_code');

    const staff = await signIn(harness, await addUser(harness, { kind: 'staff', permissions: ['users.view'] }), 'admin');
    const cursor = Buffer.from(JSON.stringify(['a', 'b', '-'.repeat(36)])).toString('base64url');
    expectRefusal(await staff.get(`/api/admin/users?cursor=${cursor}`), 400, 'validation_failed', ['cursor']);
  });

  it('a body nested 30,000 deep is refused at once (the NUL check walks it without recursion or copying)', async () => {
    const customer = await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');
    const started = performance.now();
    const reply = await inject('/api/banking/me/two-factor/sms', {
      method: 'POST',
      payload: `{"phone":${'['.repeat(30_000)}"\\u0000"${']'.repeat(30_000)}}`,
      cookie: `latchkey_banking=${customer.cookie('latchkey_banking')}`,
    });
    expect(reply.statusCode).toBe(400);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});

// Slow clients (slowloris, a body that never ends) hold a connection and a little memory
// each; the server's time-outs cut them off. A real listening server and raw sockets: no
// injection can show a time-out. Short time-outs here; productionTimeouts in service.
describe('slow clients are cut off', () => {
  const timeouts: HttpTimeouts = { headersInMs: 300, requestInMs: 1_000, idleSocketInMs: 5_000, checkIntervalInMs: 50 };
  const quiet = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  let harness: Harness;
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    harness = await startHarness(testEngines[0] ?? 'pglite');
    app = await buildApp({ deps: harness.deps, publicUrl: null, logger: createLogger('silent', quiet), timeouts });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
    await harness.close();
  });

  /** Runs `client` on a fresh connection; resolves when the server closes it, with what it sent and when. */
  function connection(client: (socket: Socket) => void): Promise<{ closedAfterMs: number; received: string }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const started = performance.now();
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ closedAfterMs: performance.now() - started, received }));
      socket.on('connect', () => client(socket));
    });
  }
  /** Writes `chunk` every 50 ms while the socket is open. */
  const trickle = (socket: Socket, chunk: string) => {
    const timer = setInterval(() => socket.destroyed || socket.write(chunk), 50);
    socket.on('close', () => clearInterval(timer));
  };
  // Node checks every 50 ms here; the rest is room for a busy machine, still far below the idle time-out.
  const slack = 2_500;
  const loginHead = `POST /api/banking/login HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\nContent-Type: application/json\r\n`;

  it('a connection that never sends a request is closed after the headers time-out', async () => {
    const { closedAfterMs, received } = await connection(() => undefined);
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.headersInMs - 50);
    expect(closedAfterMs).toBeLessThan(timeouts.headersInMs + slack);
    expect(received).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('headers sent a line at a time, never ending, are cut off after the headers time-out with 408', async () => {
    const { closedAfterMs, received } = await connection((socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
      trickle(socket, 'X-Slow: a\r\n');
    });
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.headersInMs - 50);
    expect(closedAfterMs).toBeLessThan(timeouts.headersInMs + slack);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a body that never finishes, even one that keeps trickling in, is cut off after the request time-out with 408', async () => {
    const stalled = await connection((socket) => socket.write(`${loginHead}Content-Length: 1000\r\n\r\n{"username":"`));
    const trickling = await connection((socket) => {
      socket.write(`${loginHead}Content-Length: 60000\r\n\r\n{"username":"`);
      trickle(socket, 'a');
    });
    for (const { closedAfterMs, received } of [stalled, trickling]) {
      expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.requestInMs - 50);
      expect(closedAfterMs).toBeLessThan(timeouts.requestInMs + slack);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    }
  });

  it('a body announced over 64 KiB gets 413 at once, before it is sent', async () => {
    const { closedAfterMs, received } = await connection((socket) => socket.write(`${loginHead}Content-Length: 10000000\r\n\r\n{`));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain('"code":"payload_too_large"');
    expect(closedAfterMs).toBeLessThan(timeouts.requestInMs);
  });

  it('a prompt client is served', async () => {
    const { received } = await connection((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('{"status":"ok"}');
  });

  it('without time-outs given, buildApp uses the production ones', async () => {
    const production = await buildApp({ deps: harness.deps, publicUrl: null, logger: createLogger('silent', quiet) });
    try {
      expect({ headers: production.server.headersTimeout, request: production.server.requestTimeout, idle: production.server.timeout }).toEqual({
        headers: productionTimeouts.headersInMs,
        request: productionTimeouts.requestInMs,
        idle: productionTimeouts.idleSocketInMs,
      });
    } finally {
      await production.close();
    }
  });
});
