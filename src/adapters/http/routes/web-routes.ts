// The two web surfaces, built by Vite into dist/web: Digital Banking at /, the Admin Platform
// at /admin. Pages are single-page apps; any path under a surface gets its index.html.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { sendError } from '../errors.js';

export const webRoutes: FastifyPluginAsync<{ webRoot: string }> = async (app, { webRoot }) => {
  const page = (surface: 'banking' | 'admin') => readFileSync(join(webRoot, surface, 'index.html'), 'utf8');
  const pages = { banking: page('banking'), admin: page('admin') };
  // Pages can show secrets (backup codes): never cached, never kept for Back (ASVS 5.0 14.3.2).
  const sendPage = (reply: FastifyReply, surface: 'banking' | 'admin') =>
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(pages[surface]);

  await app.register(fastifyStatic, {
    root: join(webRoot, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
    wildcard: true,
  });
  app.get('/admin', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'admin'));
  app.get('/admin/*', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'admin'));
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'banking'));
  app.get('/*', { schema: { hide: true } }, (request, reply) =>
    request.url.startsWith('/api/') || request.url.startsWith('/assets/') ? sendError(reply, 'not_found') : sendPage(reply, 'banking'),
  );
};

/** dist/web of this package, found from here whether running from src/ or dist/src/; null until built. */
export function builtWebRoot(): string | null {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) return null;
    folder = parent;
  }
  const root = join(folder, 'dist', 'web');
  return existsSync(join(root, 'banking', 'index.html')) ? root : null;
}
