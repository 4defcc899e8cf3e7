/**
 * zod 4 schemas to OpenAPI 3.1 Schema Objects with zod's own `toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1). Definitions zod extracts (`$defs`: recursive schemas, schemas registered with an
 * `id`) move to `components.schemas`, since a `#/…` reference inside an OpenAPI document is resolved from
 * the document's root.
 */
import { type ZodType, z } from 'zod';

type Json = Record<string, unknown>;

/** True for a zod 4 schema (classic or mini). */
export function isZodSchema(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** Converts schemas and collects the definitions they share. */
export interface SchemaConverter {
  /** `io: 'input'` for what a client sends (before coercion and defaults), `'output'` for responses. */
  convert(schema: ZodType, io: 'input' | 'output'): Json;
  /** The collected definitions, for `components.schemas`. */
  readonly definitions: Record<string, Json>;
}

function rewriteRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      const name = names.get(decodeURIComponent(v.slice('#/$defs/'.length)));
      out[key] = `#/components/schemas/${encodeURIComponent(name ?? 'Unknown')}`;
    } else out[key] = rewriteRefs(v, names);
  }
  return out;
}

/**
 * A converter whose definitions get unique names across all the schemas of one document.
 * @example
 * const schemas = createSchemaConverter();
 * const body = schemas.convert(Item, 'input');
 */
export function createSchemaConverter(): SchemaConverter {
  const definitions: Record<string, Json> = {};
  let counter = 0;
  function convert(schema: ZodType, io: 'input' | 'output'): Json {
    const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
    const { $schema: _dialect, $defs, ...rest } = raw;
    const defs = ($defs ?? {}) as Record<string, Json>;
    const names = new Map<string, string>();
    // Anonymous definitions (recursive schemas) get a fresh name; a schema registered with an `id` keeps it
    // (zod's registry keeps ids unique, so the same id seen from two routes is the same schema).
    for (const id of Object.keys(defs))
      names.set(id, /^__schema\d+$/.test(id) ? `Schema${++counter}` : id.replace(/[^\w.-]/g, '_'));
    for (const [id, def] of Object.entries(defs))
      definitions[names.get(id) as string] = rewriteRefs(def, names) as Json;
    return rewriteRefs(rest, names) as Json;
  }
  return { convert, definitions };
}
