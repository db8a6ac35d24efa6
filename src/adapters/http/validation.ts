// Request validation: each route's zod schema (fastify-type-provider-zod), behind one rule for
// every part of every request. PostgreSQL text cannot hold U+0000 (a query carrying it fails,
// a 500), and a lone UTF-16 surrogate — a legal JSON escape, not Unicode — is stored as U+FFFD,
// so two different inputs would become one. A string with either, wherever it sits, is refused
// as invalid: a 400 naming the field, after the route's own preValidation (who is asking) and
// before any handler or query sees it.
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import type { $ZodType } from 'zod/v4/core';
import { z } from 'zod';

const UNSTORABLE = /\u0000|\p{Cs}/u;

type Path = (string | number)[];
/** A path as a chain to the parent, so that walking a deep body does not copy one per level. */
type Trail = { key: string | number; parent: Trail } | null;

function pathOf(trail: Trail): Path {
  const path: Path = [];
  for (let step = trail; step !== null; step = step.parent) path.push(step.key);
  return path.reverse();
}

/** Where a string (value or key) holds an unstorable character; iterative, as a body may nest thousands deep. */
function unstorablePaths(data: unknown): Path[] {
  const found: Path[] = [];
  const pending: [unknown, Trail][] = [[data, null]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, trail] = next;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) found.push(pathOf(trail));
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push([item, { key: index, parent: trail }]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (UNSTORABLE.test(key)) found.push(pathOf({ key, parent: trail }));
        else pending.push([item, { key, parent: trail }]);
      }
    }
  }
  return found;
}

const storableText = z.unknown().superRefine((value, context) => {
  for (const path of unstorablePaths(value)) context.addIssue({ code: 'custom', path, message: 'This value contains a character that is not allowed.' });
});

export const validatorCompiler: FastifySchemaCompiler<$ZodType> = (route) => {
  const checkText = zodValidatorCompiler({ ...route, schema: storableText });
  const validate = zodValidatorCompiler(route);
  return (data) => {
    const text = checkText(data);
    return typeof text === 'object' && 'error' in text && text.error !== undefined ? text : validate(data);
  };
};
