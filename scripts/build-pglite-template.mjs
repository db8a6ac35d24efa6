// Part of `npm run build:server`, after tsc: the embedded database a first start copies
// (src/adapters/db/pglite-template.ts).
import { buildPgliteTemplate, builtTemplateFolder } from '../dist/src/adapters/db/pglite-template.js';

const started = performance.now();
const outcome = await buildPgliteTemplate();
console.log(`PGlite template ${outcome} (${builtTemplateFolder}, ${Math.round(performance.now() - started)} ms)`);
