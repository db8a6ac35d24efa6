// A first start of the embedded database copies a data folder made at build time instead of
// creating one: PGlite's initdb, in WebAssembly, takes 4-5 s and leaves a heap of ~800 MiB
// behind for the life of the process; the copy takes ~60 ms. Without a template (a start from
// the sources, a build without it) PGlite creates the database as before.
import { createHash } from 'node:crypto';
import { constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { copyFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { migrate } from './migrate.js';
import { pgliteDialect } from './pglite-dialect.js';
import type { Tables } from './schema.js';

/** Beside the migrations in dist/, made by `npm run build:server`. */
export const builtTemplateFolder = fileURLToPath(new URL('./pglite-template', import.meta.url));

const migrationsFolder = new URL('./migrations/', import.meta.url);
// PGlite opens a data folder that has it rather than create a database there.
const VERSION_FILE = 'PG_VERSION';

/**
 * Fills a data folder that holds no database with the template, if there is one; a folder
 * with a database is left alone. PG_VERSION goes last, so that a copy cut short is not taken
 * for a database: the next start copies again, over what the first one left.
 */
export async function copyPgliteTemplate(dataDir: string, templateFolder = builtTemplateFolder): Promise<void> {
  if (existsSync(join(dataDir, VERSION_FILE)) || !existsSync(join(templateFolder, VERSION_FILE))) return;
  // The walk and the 27 folders take a few milliseconds. The files, ~1,000, are requested at
  // once: libuv's thread pool copies them four at a time, ~5× faster than fs.cp, one by one;
  // as clones where the file system can (APFS, Btrfs, XFS), which costs next to nothing.
  const entries = readdirSync(templateFolder, { recursive: true, withFileTypes: true });
  const pathOf = (entry: (typeof entries)[number]) => relative(templateFolder, join(entry.parentPath, entry.name));
  for (const entry of entries) {
    if (entry.isDirectory()) mkdirSync(join(dataDir, pathOf(entry)), { recursive: true });
  }
  await Promise.all(
    entries
      .filter((entry) => entry.isFile() && pathOf(entry) !== VERSION_FILE)
      .map((entry) => copyFile(join(templateFolder, pathOf(entry)), join(dataDir, pathOf(entry)), constants.COPYFILE_FICLONE)),
  );
  await copyFile(join(templateFolder, VERSION_FILE), join(dataDir, VERSION_FILE), constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
}

/**
 * Build time: a migrated database without rows of its own, closed cleanly. Made again only
 * when PGlite or a migration changed: initdb takes seconds, and `npm start` builds first.
 */
export async function buildPgliteTemplate(templateFolder = builtTemplateFolder): Promise<'built' | 'up to date'> {
  const key = await templateKey();
  const keyFile = `${templateFolder}.key`;
  if (existsSync(join(templateFolder, VERSION_FILE)) && existsSync(keyFile) && (await readFile(keyFile, 'utf8')) === key) {
    return 'up to date';
  }
  // Made aside and moved into place, so that an interrupted build leaves no half a template.
  const staging = `${templateFolder}.partial`;
  await rm(staging, { recursive: true, force: true });
  const pglite = await PGlite.create({ dataDir: staging });
  const db = new Kysely<Tables>({ dialect: pgliteDialect({ pglite }) });
  try {
    await migrate(db);
  } finally {
    await db.destroy();
    await pglite.close();
  }
  await rm(templateFolder, { recursive: true, force: true });
  await rename(staging, templateFolder);
  await writeFile(keyFile, key);
  return 'built';
}

/** What the template is made of: the PGlite release and every migration, by name and text. */
async function templateKey(): Promise<string> {
  const pglitePackage = new URL('../package.json', import.meta.resolve('@electric-sql/pglite'));
  const { version } = JSON.parse(await readFile(pglitePackage, 'utf8')) as { version: string };
  const hash = createHash('sha256').update(`pglite ${version}\n`);
  for (const name of (await readdir(migrationsFolder)).filter((file) => file.endsWith('.sql')).sort()) {
    hash.update(`${name}\n`).update(await readFile(new URL(name, migrationsFolder)));
  }
  return hash.digest('hex');
}
