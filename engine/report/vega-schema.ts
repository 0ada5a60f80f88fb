/**
 * Vega-Lite's own JSON schema (node_modules/vega-lite/build/vega-lite-schema.json) as a validator, for tests
 * of every spec the reports and the dashboard produce: vega-lite compiles many invalid specs without a word,
 * and the next release may not. Compiling the schema takes ≈ 4 s of CPU, so it is done once per process, and
 * the compiled validator is kept as Ajv standalone code in node_modules/.cache (named by the schema, Ajv's
 * version and the options), which a later process loads in ≈ 0.5 s instead — the same generated code, so the
 * same verdicts and messages.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { findPackageFile } from './html.ts';

// formats (uri, color-hex) are not what these tests are about; unions of types are how the schema is written
const OPTIONS: Options = { strict: false, allowUnionTypes: true, validateFormats: false, logger: false };
const require = createRequire(import.meta.url);
// CommonJS whose module.exports is the function itself (its ESM default import is typed as the namespace)
const standaloneCode = require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js').default;

let validator: ValidateFunction | null = null;

function cacheFile(schemaText: string): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const key = crypto.createHash('sha256').update(`${ajvVersion}\n${JSON.stringify(OPTIONS)}\n${schemaText}`).digest('hex').slice(0, 16);
  return path.resolve(import.meta.dirname, '../../node_modules/.cache/regime-test', `vega-lite-validator-${key}.cjs`);
}

/** the standalone module's validate function; its require() of Ajv's runtime helpers resolves from here */
function load(code: string): ValidateFunction {
  const mod = { exports: {} as { default?: ValidateFunction } };
  new Function('require', 'module', 'exports', code)(require, mod, mod.exports);
  return (mod.exports.default ?? mod.exports) as ValidateFunction;
}

function compiled(): ValidateFunction {
  if (validator) return validator;
  const schemaText = fs.readFileSync(findPackageFile('vega-lite', 'build/vega-lite-schema.json'), 'utf8');
  const file = cacheFile(schemaText);
  try {
    validator = load(fs.readFileSync(file, 'utf8'));
    return validator;
  } catch {
    // not built yet (or unreadable): compile, and keep it for the next process
  }
  const ajv = new Ajv({ ...OPTIONS, code: { source: true } });
  const fresh = ajv.compile(JSON.parse(schemaText) as object);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // written aside and renamed in: a process starting meanwhile sees the whole file or none
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, standaloneCode(ajv, fresh));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only checkout only loses the speed-up
  }
  validator = fresh;
  return validator;
}

/** The schema errors of a spec (instance path + message), or [] when it is valid. */
export function vegaLiteSchemaErrors(spec: unknown): string[] {
  const validate = compiled();
  if (validate(spec)) return [];
  return [...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`))].slice(0, 10);
}
