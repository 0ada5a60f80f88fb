import { describe, expect, it } from 'vitest';
import { seededRandom } from './detectors/synthetic.ts';
import { thousands } from './thousands.ts';

describe('thousands', () => {
  it('groups digits exactly as toLocaleString("en-US") does for integers', () => {
    const samples = [0, 7, 12, 999, 1000, 1001, 12345, 999999, 1000000, 2400000, 123456789, Number.MAX_SAFE_INTEGER];
    const random = seededRandom(13);
    for (let k = 0; k < 200; k++) samples.push(Math.floor(random() * 10 ** (1 + (k % 15))));
    for (const n of samples) {
      expect(thousands(n)).toBe(n.toLocaleString('en-US'));
      expect(thousands(-n || -1)).toBe((-n || -1).toLocaleString('en-US'));
    }
  });
});
