import * as z from 'zod';
import { UserError } from '../errors.ts';
import { CascadeConfig } from '../detectors/liquidation-cascade.ts';
import { CorrelationConfig, correlationPairsProblem } from '../detectors/correlation.ts';
import { FundingConfig } from '../detectors/funding-anomaly.ts';
import { RegimeConfig } from '../detectors/multi-timeframe-regime.ts';
import { VolatilityConfig } from '../detectors/volatility-regime.ts';
import { RulesConfig } from './alerts.ts';
import { CooldownConfig } from './cooldown.ts';

export const DEFAULT_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

const symbolMsg = 'expected a non-empty list of distinct symbol names';

export const PipelineConfig = z
  .object({
    symbols: z
      .array(z.string({ error: 'expected a symbol name' }).regex(/^[A-Za-z0-9._-]+$/, { error: 'expected a symbol name (letters, digits, . _ -)' }), {
        error: symbolMsg,
      })
      .min(1, { error: symbolMsg })
      .refine((s) => new Set(s).size === s.length, { error: symbolMsg })
      .default(DEFAULT_SYMBOLS),
    cascade: CascadeConfig.prefault({}),
    funding: FundingConfig.prefault({}),
    volatility: VolatilityConfig.prefault({}),
    regime: RegimeConfig.prefault({}),
    correlation: CorrelationConfig.prefault({}),
    rules: RulesConfig.prefault({}),
    cooldown: CooldownConfig.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = correlationPairsProblem(c.symbols, c.correlation);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['correlation', problem.key], message: problem.message });
  });
export type PipelineConfig = z.output<typeof PipelineConfig>;

function keyPath(path: readonly PropertyKey[]): string {
  let s = 'config';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

/**
 * Validates a JSON config (defaults everywhere: parseConfig({}) is the default config). Throws a UserError
 * whose message has one line per problem, each starting with the offending key path.
 */
export function parseConfig(json: unknown): PipelineConfig {
  const r = PipelineConfig.safeParse(withoutSchemaReference(json ?? {}));
  if (r.success) return r.data;
  const lines: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) lines.push(`${keyPath([...issue.path, k])}: unknown key`);
    } else if (issue.code === 'invalid_type' && issue.expected === 'object') {
      lines.push(`${keyPath(issue.path)}: expected an object`);
    } else {
      lines.push(`${keyPath(issue.path)}: ${issue.message}`);
    }
  }
  throw new UserError(lines.join('\n'));
}

/** `$schema` (written by `regime config init`) is for editors: every loader ignores it. */
function withoutSchemaReference(json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof (json as { $schema?: unknown }).$schema !== 'string') return json;
  const { $schema: _editorSchema, ...rest } = json as Record<string, unknown>;
  return rest;
}

export function defaultConfig(): PipelineConfig {
  return parseConfig({});
}
