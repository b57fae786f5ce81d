import { stringify as stringifyYaml } from "yaml";
import { IMAGES_DIR } from "../../components/workloads/images";
import type { RecordedResource, RenderedStack } from "./preview";

/** One file of `drkit render`'s output: a path under the output directory and its text. */
export interface RenderedFile {
  path: string;
  content: string;
}

/** What stands in for a secret's value: the key stays visible, the value never leaves the engine. */
export const REDACTED = "[secret]";

/**
 * Every file a stack's deployment consists of, from an offline preview of its program:
 *
 * - `kubernetes/<namespace>/<Kind>-<name>.yaml`: each Kubernetes object as `kubectl get -o yaml`
 *   would show its spec (Secrets with their keys and redacted values);
 * - `files/<ConfigMap>/<key>`: each configuration file and script the pods run, as they run it;
 * - `alerts/<PrometheusRule>.rules.yaml`: the alert rules as a plain Prometheus rule file; on a
 *   Docker host `alerts/drkit-<stack>.rules.yaml` and the scrape configuration beside it;
 * - `host/<Kind>-<name>.yaml`: on a Docker host, each container, volume, network and image as
 *   the engine gets it (a prepare container's secret files redacted), and `files/` as above;
 * - `cloud/<provider>-<type>/<name>.yaml`: each cloud resource's inputs (buckets, lifecycle,
 *   policies, keys), secrets redacted, headed by the provider that creates it;
 * - `cloud/providers/<package>-<name>.yaml`: each provider's settings (region, assumed role).
 *
 * Deterministic: the same stack file gives byte-identical output, so a diff shows what changed.
 */
export function renderedFiles(stack: RenderedStack): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const resource of stack.resources) {
    if (resource.type === "drkit:region:DrRegion" && resource.outputs["hostMonitoring"]) {
      const monitoring = resource.outputs["hostMonitoring"] as { ruleFile: string; scrapeConfig: string };
      const stackName = (resource.outputs["drSpec"] as { stack: string }).stack;
      files.push({ path: `alerts/drkit-${stackName}.rules.yaml`, content: monitoring.ruleFile }, { path: `alerts/drkit-${stackName}.scrape.yaml`, content: monitoring.scrapeConfig });
    }
    if (resource.type === "drkit:host:DockerHost") {
      for (const [config, keys] of Object.entries(resource.outputs["configFiles"] as Record<string, Record<string, string>>)) {
        for (const [key, text] of Object.entries(keys)) files.push({ path: `files/${config}/${key}`, content: text });
      }
    }
    if (!resource.custom) continue;
    const inputs = portable(redact(resource.inputs, "", resource.secretPaths)) as Record<string, unknown>;
    if (resource.type.startsWith("pulumi:providers:")) {
      // Where the cloud resources go (region, an assumed role: a vault's account); the plugin
      // version is left out so an upgrade does not rewrite the tree.
      const { version: _version, ...settings } = inputs;
      files.push({ path: `cloud/providers/${resource.type.slice("pulumi:providers:".length)}-${resource.name}.yaml`, content: yaml(settings) });
      continue;
    }
    if (resource.type.startsWith("docker:index/") && resource.type !== "docker:index/image:Image") {
      const name = String(inputs["name"] ?? resource.name);
      files.push({ path: `host/${resource.type.split(":").at(-1)}-${name.replace(/[/:@]/g, "_")}.yaml`, content: yaml(inputs) });
      continue;
    }
    if (resource.type.startsWith("kubernetes:")) {
      const metadata = (inputs["metadata"] ?? {}) as { name?: string; namespace?: string };
      const kind = String(inputs["kind"] ?? resource.type.split(":").at(-1));
      const name = metadata.name ?? resource.name;
      files.push({ path: `kubernetes/${metadata.namespace ?? "cluster"}/${kind}-${name}.yaml`, content: yaml(inputs) });
      if (kind === "ConfigMap") {
        for (const [key, text] of Object.entries((inputs["data"] ?? {}) as Record<string, string>)) files.push({ path: `files/${name}/${key}`, content: text });
      }
      if (kind === "PrometheusRule") files.push({ path: `alerts/${name}.rules.yaml`, content: yaml({ groups: (inputs["spec"] as { groups: unknown }).groups }) });
    } else {
      // Which provider (account, region) creates it: a vault's resources name the vault's.
      const provider = /pulumi:providers:([^:]+)::([^:]+)::/.exec(resource.provider ?? "");
      const through = provider ? `# provider: ${provider[1]} ${provider[2]}\n` : "";
      files.push({ path: `cloud/${typeDirectory(resource)}/${resource.name}.yaml`, content: `${through}${yaml(inputs)}` });
    }
  }
  return unique(files);
}

/** `aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration` -> `aws-BucketLifecycleConfiguration`. */
function typeDirectory(resource: RecordedResource): string {
  const [provider, , kind] = resource.type.split(":");
  return `${provider}-${kind}`;
}

const yaml = (value: unknown) => stringifyYaml(value, { lineWidth: 0, aliasDuplicateObjects: false });

/**
 * Image build contexts are absolute paths of wherever drkit is installed: shown as `<drkit>/images/...`
 * so the output is the same on every machine and from the sources or the built package.
 */
function portable(value: unknown): unknown {
  if (typeof value === "string") return value.startsWith(IMAGES_DIR) ? `<drkit>/images${value.slice(IMAGES_DIR.length)}` : value;
  if (Array.isArray(value)) return value.map(portable);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portable(v)]));
}

/** Replaces every value at or under a secret path with REDACTED, keeping the keys. */
function redact(value: unknown, path: string, secretPaths: readonly string[]): unknown {
  if (secretPaths.includes(path)) return hide(value);
  if (Array.isArray(value)) return value.map((v, i) => redact(v, `${path}[${i}]`, secretPaths));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, path ? `${path}.${k}` : k, secretPaths)]));
}

function hide(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hide);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v)]));
  return REDACTED;
}

/** Two resources that would write one path (same kind and name in one namespace) cannot both be right: refuse. */
function unique(files: RenderedFile[]): RenderedFile[] {
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new Error(`drkit render: two objects render to ${file.path}`);
    seen.add(file.path);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
