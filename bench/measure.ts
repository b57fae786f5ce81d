import { rmSync } from "node:fs";
import { serviceTempDir } from "../cli/local/processes";

/** Helpers the benchmarks share: timing, units, temporary directories removed at the end. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const rate = (bytes: number, ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;

export async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await what();
  return [result, performance.now() - start];
}

const temporary: string[] = [];
/** A directory for the service account, removed by `removeTemporary`. */
export function temp(prefix: string): string {
  const dir = serviceTempDir(prefix);
  temporary.push(dir);
  return dir;
}
export function removeTemporary(): void {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}
