// buildApp(deps): the Fastify instance serving both surfaces' APIs. Tests call inject().
import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HttpContext } from './adapters/http/context.js';
import { errorHandler, sendError } from './adapters/http/errors.js';
import { validatorCompiler } from './adapters/http/validation.js';
import { type RateLimitSetup, registerRateLimits } from './adapters/http/rate-limits.js';
import { adminRoutes } from './adapters/http/routes/admin-routes.js';
import { authRoutes } from './adapters/http/routes/auth-routes.js';
import { healthRoutes } from './adapters/http/routes/health-routes.js';
import { meRoutes } from './adapters/http/routes/me-routes.js';
import { settingsRoutes } from './adapters/http/routes/settings-routes.js';
import { webRoutes } from './adapters/http/routes/web-routes.js';
import type { Deps } from './modules/deps.js';

export interface AppOptions {
  deps: Deps;
  publicUrl: string | null;
  logger: FastifyBaseLogger;
  /**
   * Honour X-Forwarded-* from these proxies, addresses or CIDRs (TRUST_PROXY); off by default.
   * Never `true` nor a hop count: either would believe a client that writes the header itself.
   */
  trustProxy?: string[];
  /** Per-address limits: productionRateLimits in this process unless told otherwise. */
  rateLimit?: RateLimitSetup;
  /** The built web UI (dist/web); null serves the API alone. */
  webRoot?: string | null;
  /** When slow clients are cut off; productionTimeouts unless a test needs them short. */
  timeouts?: HttpTimeouts;
}

/** Cut-offs for clients that hold a connection open (slowloris, a body that never ends), in ms. */
export interface HttpTimeouts {
  /** The headers, from the request's first byte (Node's headersTimeout): browsers send them at once. */
  headersInMs: number;
  /** The whole request, headers and body (Fastify's requestTimeout): 408, then the socket is closed. */
  requestInMs: number;
  /**
   * A socket with no traffic either way (Fastify's connectionTimeout), which also frees one whose
   * client stopped reading; longer than Fastify's 72 s keep-alive, so an idle keep-alive
   * connection is closed by that, as load balancers expect.
   */
  idleSocketInMs: number;
  /** How often Node looks for requests past the first two (connectionsCheckingInterval); they are as exact as this. */
  checkIntervalInMs: number;
}

export const productionTimeouts: HttpTimeouts = { headersInMs: 10_000, requestInMs: 30_000, idleSocketInMs: 120_000, checkIntervalInMs: 1_000 };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY_BYTES = 64 * 1024;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const timeouts = options.timeouts ?? productionTimeouts;
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: 200 },
    // A URL the router cannot take (bad percent-encoding, an over-long parameter) is refused
    // like any malformed request, with a catalogued error rather than Fastify's own body.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    requestTimeout: timeouts.requestInMs,
    connectionTimeout: timeouts.idleSocketInMs,
    http: { headersTimeout: timeouts.headersInMs, connectionsCheckingInterval: timeouts.checkIntervalInMs },
    // Without factories of its own Fastify loads ajv and fast-json-stringify (~60 ms of a
    // start) to build default compilers; the zod ones set below replace these at once.
    schemaController: { compilersFactory: { buildValidator: zodCompilersOnly, buildSerializer: zodCompilersOnly } },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendError(reply, 'not_found'));

  const limits = await registerRateLimits(app, { deps: options.deps, publicUrl: options.publicUrl, setup: options.rateLimit ?? {} });
  const context: HttpContext = { deps: options.deps, publicUrl: options.publicUrl, limits };

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.url.startsWith('/api/')) {
      // Replies of the API carry personal data and sometimes secrets: never cached (ASVS 5.0 14.3.2).
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    }
    if (STATE_CHANGING.has(request.method) && !isSameOrigin(request.headers.origin, options.publicUrl, `${request.protocol}://${request.host}`)) {
      return sendError(reply, 'csrf_failed');
    }
  });

  // Security headers for every reply (ASVS 5.0 V3): a strict Content-Security-Policy with no
  // inline script, no framing, no referrer; HSTS only when the public origin is https, and
  // no upgrade-insecure-requests on a plain-http development origin, which it would break.
  const servedOverHttps = options.publicUrl?.startsWith('https:') ?? false;
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(servedOverHttps ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: servedOverHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey',
        version: '0.1.0',
        description: 'Sign-in and lockout recovery for Digital Banking and the Admin Platform (SPEC §7).',
      },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'latchkey_admin' } } },
    },
    transform: jsonSchemaTransform,
  });

  for (const surface of ['banking', 'admin'] as const) {
    await app.register(authRoutes, { prefix: `/api/${surface}`, context, surface });
    await app.register(meRoutes, { prefix: `/api/${surface}`, context, surface });
    await app.register(settingsRoutes, { prefix: `/api/${surface}`, context, surface });
  }
  await app.register(adminRoutes, { prefix: '/api/admin', context });
  await app.register(healthRoutes, { context });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.webRoot != null) await app.register(webRoutes, { webRoot: options.webRoot });

  return app;
}

function zodCompilersOnly(): never {
  throw new Error('every schema is compiled by the zod compilers buildApp sets');
}

/** SPEC §7: a state-changing request must name this server in Origin, else 403 csrf_failed. */
function isSameOrigin(origin: string | undefined, publicUrl: string | null, requestOrigin: string): boolean {
  if (origin === undefined || origin === 'null') return false;
  return origin === (publicUrl ?? requestOrigin);
}
