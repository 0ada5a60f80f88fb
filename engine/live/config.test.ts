// A malformed live config names the file but never quotes it: it holds webhook URLs and the HMAC secret.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { loadLiveConfig } from './config.ts';
import { DEFAULT_WARMUP_HOURS as REPLAY_WARMUP_HOURS } from '../replay/backtest.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-live-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadLiveConfig', () => {
  it('defaults warmup_hours to the backtest\'s warm-up (the constant config files read without loading the replay)', () => {
    expect(loadLiveConfig(undefined, {}).live.warmup_hours).toBe(REPLAY_WARMUP_HOURS);
  });

  it('names the file of bad JSON without quoting a secret from it', () => {
    const file = path.join(dir, 'live.json');
    fs.writeFileSync(file, '{"webhooks": {"http_secret": supersecretvalue, "all": ["https://discord.com/api/webhooks/1/tokentokentoken"]}}');
    let err: unknown;
    try {
      loadLiveConfig(file, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(`));
    for (const piece of ['supersecre', 'secret":', 'tokentoken']) expect(message).not.toContain(piece);
  });

  it('keeps the position of other JSON errors', () => {
    const file = path.join(dir, 'cut.json');
    fs.writeFileSync(file, '{"live": {');
    expect(() => loadLiveConfig(file, {})).toThrow(/cut\.json: not valid JSON \(.*position \d+/);
  });
});
