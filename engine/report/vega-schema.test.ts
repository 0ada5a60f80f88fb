// The Vega-Lite schema validator the report tests lean on, whether compiled here or loaded from its cached
// standalone code (node_modules/.cache/regime-test): it must still refuse what the schema refuses.
import { describe, expect, it } from 'vitest';
import { vegaLiteSchemaErrors } from './vega-schema.ts';

describe('Vega-Lite schema validator', () => {
  it('accepts a valid spec and names what an invalid one lacks or gets wrong', () => {
    expect(vegaLiteSchemaErrors({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } })).toEqual([]);
    expect(vegaLiteSchemaErrors({ mark: 'point' })).toContain("/ must have required property 'data'");
    expect(vegaLiteSchemaErrors({ data: { values: [] }, mark: 'pointy' }).length).toBeGreaterThan(0);
    expect(vegaLiteSchemaErrors({ data: { values: [] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitativ' } } }).join('\n')).toMatch(/^\/encoding\/x\/type /m);
  });
});
