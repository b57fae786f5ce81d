/** Helpers the benchmarks share: timing and units. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const rate = (bytes: number, ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;

export async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await what();
  return [result, performance.now() - start];
}
