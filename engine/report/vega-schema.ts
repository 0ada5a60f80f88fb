/**
 * Vega-Lite's own JSON schema (node_modules/vega-lite/build/vega-lite-schema.json) as a validator, for tests
 * of every spec the reports and the dashboard produce: vega-lite compiles many invalid specs without a word,
 * and the next release may not. Compiling the schema takes seconds, so it is done once per process.
 */
import fs from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { findPackageFile } from './html.ts';

let validator: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (!validator) {
    const file = findPackageFile('vega-lite', 'build/vega-lite-schema.json');
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as object;
    // formats (uri, color-hex) are not what these tests are about; unions of types are how the schema is written
    validator = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false, logger: false }).compile(schema);
  }
  return validator;
}

/** The schema errors of a spec (instance path + message), or [] when it is valid. */
export function vegaLiteSchemaErrors(spec: unknown): string[] {
  const validate = compiled();
  if (validate(spec)) return [];
  return [...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`))].slice(0, 10);
}
