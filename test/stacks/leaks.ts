import { isSecretInput, type RecordedResource, type RenderedStack } from "../harness/renderStack";

/** Markers the harness gives every generated value (random results, keys, kubeconfigs). */
const MARKERS = ["drkit-fake-random-", "FAKE-SECRET"];

/** Paths of every string in a value that carries a generated-secret marker. */
function markedPaths(value: unknown, path: string): string[] {
  if (typeof value === "string") return MARKERS.some((m) => value.includes(m)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => markedPaths(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => markedPaths(v, path ? `${path}.${k}` : k));
  return [];
}

/** Resources whose own outputs are the generated values. */
const GENERATORS = new Set([
  "random:index/randomPassword:RandomPassword",
  "aws:iam/accessKey:AccessKey",
  "digitalocean:index/spacesKey:SpacesKey",
  "tls:index/privateKey:PrivateKey",
]);

/**
 * Every place a generated secret reaches that is not a Pulumi secret: inputs of any resource,
 * outputs of any component or of the stack. Empty when nothing leaks.
 */
export function secretLeaks(stack: RenderedStack): string[] {
  const leaks: string[] = [];
  for (const r of stack.resources) {
    if (GENERATORS.has(r.type)) continue;
    for (const path of markedPaths(r.inputs, "")) if (!isSecretInput(r, path)) leaks.push(`${r.type} ${r.name} input ${path}`);
    const asOutputs: RecordedResource = { ...r, secretPaths: r.secretOutputPaths };
    for (const path of markedPaths(r.outputs, "")) if (!isSecretInput(asOutputs, path)) leaks.push(`${r.type} ${r.name} output ${path}`);
  }
  return leaks;
}

/** How many places a generated secret reached at all (to prove the search finds them). */
export function secretUses(stack: RenderedStack): number {
  return stack.resources.filter((r) => !GENERATORS.has(r.type)).reduce((n, r) => n + markedPaths(r.inputs, "").length, 0);
}
