import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
// deserializeProperties is the function the mock monitor itself uses to read inputs.
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { KEY_PAIR_SETTINGS, readStackFile, SECRET_PLACEHOLDER } from "../../components/config";

/**
 * An offline `pulumi preview` of drkit's program: it runs under Pulumi's in-process mocks and
 * records every resource it registers, with its inputs, parent, provider and flags. `drkit
 * render` prints what it records; the tests assert on it.
 *
 * Values only a cloud provider knows are stand-ins: the account is AWS's documentation account
 * 123456789012, generated secrets and keys read FAKE-... (redacted by `drkit render`), image
 * digests sha256:known-after-push.
 */

/** drkit's program: stacks/index.ts in the sources, stacks/index.js when built (an import needs the file's own name). */
export const PROGRAM = [".js", ".ts"].map((ext) => resolve(__dirname, "..", "..", "stacks", `index${ext}`)).find(existsSync) ?? resolve(__dirname, "..", "..", "stacks", "index.js");

/** One resource the program registered, as the engine would have seen it. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs with secrets unwrapped to their plain values (see `secretPaths`). */
  inputs: Record<string, unknown>;
  /** Dotted input paths that arrived as Pulumi secrets, e.g. `stringData.password`. */
  secretPaths: string[];
  custom: boolean;
  /** The parent's URN, or undefined for children of the stack. */
  parent?: string;
  /** The explicit provider reference (`urn::id`), if any. */
  provider?: string;
  protect: boolean;
  retainOnDelete: boolean;
  /** A replacement deletes this first (a resource whose fixed name the new one takes). */
  deleteBeforeReplace: boolean;
  /** URNs this resource explicitly depends on (`dependsOn`). */
  dependsOn: string[];
  /** For each input property, the URNs of the resources whose outputs it was built from. */
  propertyDependencies: Record<string, string[]>;
  /** What a component registered with `registerOutputs`, secrets unwrapped. */
  outputs: Record<string, unknown>;
  /** Dotted output paths that were Pulumi secrets. */
  secretOutputPaths: string[];
}

export interface RenderedStack {
  /** Every resource registered, in registration order (components included). */
  resources: RecordedResource[];
  /** The stack's exported outputs, fully resolved. */
  outputs: Record<string, unknown>;
  /** Resources of one type token, e.g. `aws:s3/bucket:Bucket` or `kubernetes:apps/v1:StatefulSet`. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this logical name (and type, if given); throws if there is not exactly one. */
  named(name: string, type?: string): RecordedResource;
  /** The parent resource of `resource`, or undefined for top-level resources. */
  parentOf(resource: RecordedResource): RecordedResource | undefined;
}

export interface PreviewOptions {
  /** The project's name (Pulumi.yaml `name`): part of every URN. */
  project: string;
  /** The stack name. */
  stack: string;
  /** The stack file (`Pulumi.<stack>.yaml`) whose configuration the program reads. */
  stackFile: string;
  /** Extra or replacing config values, keys with namespace, values as in YAML (objects allowed). */
  config?: Record<string, unknown>;
  /** Run this program module instead of drkit's (absolute path). @default PROGRAM */
  program?: string;
  /** The fake result of every `random.*` resource, so tests can search for leaks. @default "drkit-fake-random-<name>" */
  fakeRandom?: (name: string) => string;
}

/**
 * Runs the program for one stack under recording Pulumi mocks, as `pulumi preview` would with
 * the real engine, and returns what it registered.
 *
 * The Pulumi runtime keeps its state in module globals: one preview per process (vitest runs
 * each test file in its own process, see vitest.config.mts).
 */
let previewed: string | undefined;

export async function previewStack(options: PreviewOptions): Promise<RenderedStack> {
  const { project, stack, stackFile } = options;
  // The program module is cached after its first run: a second preview would register nothing.
  if (previewed !== undefined) throw new Error(`previewStack('${stack}'): this process already previewed '${previewed}'; use one stack per process`);
  previewed = stack;
  const { config, secretKeys } = readStackFile(stackFile);
  // A key pair's ciphertext cannot be read here: a recognisable fake pair stands in, which the
  // leak checks then search for outside secrets.
  for (const setting of KEY_PAIR_SETTINGS) {
    const key = `drkit:${setting}`;
    if (config[key] === SECRET_PLACEHOLDER) config[key] = JSON.stringify({ accessKeyId: `FAKE-ACCESS-${setting}`, secretAccessKey: `FAKE-SECRET-${setting}` });
  }
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);

  const resources: RecordedResource[] = [];
  const fakeRandom = options.fakeRandom ?? ((name: string) => `drkit-fake-random-${name}`);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        // Mocks only return what is put in state: generated values need a fake to flow on,
        // recognisable so tests can search every other input and output for leaks.
        if (args.type.startsWith("random:")) state["result"] = fakeRandom(args.name);
        if (args.type === "aws:iam/accessKey:AccessKey") state["secret"] = `FAKE-SECRET-${args.name}`;
        if (args.type === "digitalocean:index/spacesKey:SpacesKey") {
          state["accessKey"] = `FAKE-ACCESS-${args.name}`;
          state["secretKey"] = `FAKE-SECRET-${args.name}`;
        }
        if (args.type === "aws:s3/bucket:Bucket") state["arn"] = `arn:aws:s3:::${String(args.inputs["bucket"])}`;
        if (args.type === "aws:kms/key:Key") state["arn"] = `arn:aws:kms:${String(args.inputs["region"])}:${FAKE_ACCOUNT}:key/${args.name}`;
        if (args.type === "aws:iam/role:Role") state["arn"] = `arn:aws:iam::${FAKE_ACCOUNT}:role/${args.name}`;
        if (args.type === "aws:sns/topic:Topic") state["arn"] = `arn:aws:sns:${String(args.inputs["region"])}:${FAKE_ACCOUNT}:${String(args.inputs["name"])}`;
        Object.assign(state, FAKE_STATE[args.type]?.(args.name, args.inputs) ?? {});
        // A droplet's id is a number (firewalls take it as one).
        return { id: args.type === "digitalocean:index/droplet:Droplet" ? "424242" : `${args.name}-id`, state };
      },
      call(args) {
        return FAKE_INVOKES[args.token]?.(args.inputs) ?? args.inputs;
      },
    },
    project,
    stack,
    false,
  );
  recordRegistrations(resources);

  // A program that throws (a bad config) must reach the caller as that error. Thrown inside the
  // stack's init it would also reject the stack's own output promises, unhandled; so catch it
  // here, let the stack finish empty, and rethrow it after.
  let programError: unknown;
  const exported = await pulumi.runtime.runInPulumiStack(async () => {
    try {
      const program = (await import(options.program ?? PROGRAM)) as Record<string, unknown>;
      return { ...program };
    } catch (error) {
      programError = error ?? new Error("the program threw a nullish value");
      return {};
    }
  });
  if (programError !== undefined) throw programError;
  // Registrations that wait on other resources (dependsOn, Outputs) may still be in flight when
  // the program's module has finished; the engine waits for them, and so must the harness.
  await pulumi.runtime.disconnect();
  const outputs = (await resolveDeep(exported ?? {})) as Record<string, unknown>;
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(name, type) {
      const found = resources.filter((r) => r.name === name && (type === undefined || r.type === type));
      if (found.length !== 1) throw new Error(`expected one resource named '${name}', found ${found.length}`);
      return found[0]!;
    },
    parentOf: (resource) => (resource.parent ? byUrn.get(resource.parent) : undefined),
  };
}

/** Whether the input at `path` (dotted) was a secret, itself or inside a secret ancestor. */
export function isSecretInput(resource: RecordedResource, path: string): boolean {
  return resource.secretPaths.some((secret) => path === secret || path.startsWith(`${secret}.`) || path.startsWith(`${secret}[`));
}

/** The account every mocked AWS call answers for. */
export const FAKE_ACCOUNT = "123456789012";
/** The role the mocked `pulumi up` runs as (what getSessionContext resolves the session to). */
export const FAKE_DEPLOYER_ROLE = `arn:aws:iam::${FAKE_ACCOUNT}:role/deployer`;

/** Outputs the mocked engine returns for resources whose real outputs come from the provider. */
const FAKE_STATE: Record<string, (name: string, inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "pulumi:pulumi:StackReference": (name) => ({ outputs: { repoCipherPassphrase: `FAKE-SECRET-stackref-${name}` }, secretOutputNames: ["repoCipherPassphrase"] }),
  "tls:index/privateKey:PrivateKey": (name) => ({ privateKeyPem: `FAKE-SECRET-key-${name}`, publicKeyPem: `PUBLIC-${name}` }),
  "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ certPem: `CERT-${name}` }),
  "tls:index/certRequest:CertRequest": (name) => ({ certRequestPem: `CSR-${name}` }),
  "tls:index/locallySignedCert:LocallySignedCert": (name) => ({ certPem: `CERT-${name}` }),
  "docker:index/image:Image": (_name, inputs) => ({ repoDigest: `${String(inputs["imageName"])}@sha256:known-after-push` }),
  // A created host's public addresses (documentation ranges).
  "digitalocean:index/droplet:Droplet": () => ({ ipv4Address: "203.0.113.50", ipv4AddressPrivate: "10.114.0.5" }),
  "aws:ec2/instance:Instance": () => ({ publicIp: "198.51.100.60", privateIp: "10.0.1.60" }),
  // The id the host's engine gives the pulled or built image.
  "docker:index/remoteImage:RemoteImage": (name) => ({ imageId: `sha256:id-of-${name}` }),
  "digitalocean:index/kubernetesCluster:KubernetesCluster": (name) => ({ kubeConfigs: [{ rawConfig: `FAKE-SECRET-kubeconfig-${name}` }] }),
};

/** Answers for the provider functions drkit calls; anything else echoes its inputs. */
const FAKE_INVOKES: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: FAKE_ACCOUNT,
    arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/deployer/pulumi-session`,
    userId: "AROAEXAMPLE:pulumi-session",
    id: FAKE_ACCOUNT,
  }),
  // The registry answers with the digest the tag points to when `pulumi up` runs.
  "docker:index/getRegistryImage:getRegistryImage": (inputs) => ({ name: inputs["name"], sha256Digest: "sha256:resolved-at-deploy", insecureSkipVerify: false, id: inputs["name"] }),
  "aws:ec2/getSubnet:getSubnet": (inputs) => ({ id: inputs["id"], availabilityZone: "eu-central-1a", vpcId: "vpc-0fake1234567890ab", cidrBlock: "10.0.1.0/24" }),
  // The newest Debian 12 AMI the Debian account publishes in the region.
  "aws:ec2/getAmi:getAmi": () => ({ id: "ami-0debian12000000000", name: "debian-12-amd64-20261101-1234" }),
  "digitalocean:index/getKubernetesVersions:getKubernetesVersions": () => ({ latestVersion: "1.31.1-do.5", validVersions: ["1.31.1-do.5", "1.30.5-do.3"], id: "versions" }),
  "aws:iam/getSessionContext:getSessionContext": (inputs) => ({
    arn: inputs["arn"],
    issuerArn: FAKE_DEPLOYER_ROLE,
    issuerId: "AROAEXAMPLE",
    issuerName: "deployer",
    sessionName: "pulumi-session",
    id: inputs["arn"],
  }),
};

/** The protobuf request the mock monitor receives; only the getters used here. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean | undefined;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getObject(): unknown;
}

/**
 * The Mocks interface does not see parents, protect flags or dependencies; the mock monitor's
 * requests do. Wrap its registerResource to record them next to the deserialized inputs.
 */
function recordRegistrations(into: RecordedResource[]): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, response: { getUrn(): string } | undefined) => void): Promise<void>;
    registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, callback: (err: unknown, response: unknown) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const record = into.find((r) => r.urn === req.getUrn());
    if (record) {
      record.secretOutputPaths = [];
      record.outputs = unwrapSecrets(deserializeProperties(req.getOutputs() as never), "", record.secretOutputPaths) as Record<string, unknown>;
    }
    originalOutputs(req, callback);
  };
  monitor.registerResource = (req, callback) =>
    original(req, (err, response) => {
      if (!err && response) {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(deserializeProperties(req.getObject() as never), "", secretPaths) as Record<string, unknown>;
        into.push({
          type: req.getType(),
          name: req.getName(),
          urn: response.getUrn(),
          inputs,
          secretPaths,
          custom: req.getCustom(),
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          ...(req.getProvider() ? { provider: req.getProvider() } : {}),
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          deleteBeforeReplace: req.getDeletebeforereplace() ?? false,
          dependsOn: req.getDependenciesList(),
          propertyDependencies: propertyDependenciesOf(req),
          outputs: {},
          secretOutputPaths: [],
        });
      }
      callback(err, response);
    });
}

function propertyDependenciesOf(req: RegisterRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value, key) => {
    out[key] = value.getUrnsList();
  });
  return out;
}

/** Pulumi's marker for a secret value in serialized properties. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Replaces `{ <sig>: <secret>, value }` wrappers with their values, noting where they were. */
export function unwrapSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secretPaths));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SIG_KEY] === SECRET_SIG) {
    secretPaths.push(path);
    return unwrapSecrets(record["value"], path, []);
  }
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]),
  );
}

/** Resolves every Output inside a value (stack exports are often nested Outputs). */
async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return resolveDeep(await new Promise((done) => (value as pulumi.Output<unknown>).apply(done)));
  }
  if (value instanceof Promise) return resolveDeep(await value);
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
  if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}
