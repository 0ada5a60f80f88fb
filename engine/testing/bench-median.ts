/** The middle of a bench's repeated timings (benches run an odd number of rounds; for an even count, the upper middle). */
export function benchMedian(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
