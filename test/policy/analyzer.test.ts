import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../harness/renderStack";
import { waitFor } from "../../cli/containers/wait";

/* eslint-disable @typescript-eslint/no-require-imports -- the engine's generated protobuf modules are CommonJS without types for these paths */
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerClient: new (address: string, credentials: grpc.ChannelCredentials) => AnalyzerClient };
const messages = require("@pulumi/pulumi/proto/analyzer_pb") as Record<string, new () => Record<string, (value?: unknown) => unknown>>;
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(value: object): unknown } };
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
interface Diagnostic { getPolicyname(): string; getMessage(): string; getEnforcementlevel(): number; getUrn(): string }
interface AnalyzerClient {
  getAnalyzerInfo(request: unknown, callback: Callback<{ getName(): string; getPoliciesList(): { getName(): string }[] }>): void;
  analyzeStack(request: unknown, callback: Callback<{ getDiagnosticsList(): Diagnostic[] }>): void;
  analyze(request: unknown, callback: Callback<{ getDiagnosticsList(): Diagnostic[] }>): void;
  close(): void;
}

/**
 * The policy pack as the Pulumi engine runs it: its entry point as a process that prints the
 * port of its analyzer, then the analyzer's gRPC protocol (the calls `pulumi preview
 * --policy-pack` makes). No Pulumi CLI is needed to speak it.
 */
let pack: ChildProcess;
let client: AnalyzerClient;
beforeAll(async () => {
  pack = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "policypack", "index.ts")], { cwd: join(PROJECT_ROOT, "policypack"), stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  pack.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  await waitFor("the policy pack's analyzer port", () => /^\d+\n/.test(stdout), 60_000);
  const port = Number(stdout.trim().split("\n")[0]);
  client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});
afterAll(() => {
  client?.close();
  pack?.kill();
});

const call = <T>(method: (request: unknown, callback: Callback<T>) => void, request: unknown) =>
  new Promise<T>((resolve, reject) => method.call(client, request, (error, response) => (error ? reject(error) : resolve(response))));

function resource(type: string, name: string, properties: object, message = "AnalyzerResource") {
  const r = new messages[message]!();
  r["setType"]!(type);
  r["setName"]!(name);
  r["setUrn"]!(`urn:pulumi:prod::shop::${type}::${name}`);
  r["setProperties"]!(Struct.fromJavaScript(properties));
  // The engine always sends options; the SDK refuses a resource without them.
  r["setOptions"]!(new messages["AnalyzerResourceOptions"]!());
  return r;
}

describe("the policy pack over the analyzer protocol", () => {
  it("carries drkit's version", () => {
    const version = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    expect(version(join(PROJECT_ROOT, "policypack", "package.json"))).toBe(version(join(PROJECT_ROOT, "package.json")));
  });

  it("names its policies", async () => {
    const info = await call(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("drkit");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual([
      "drkit-lifecycle-valid",
      "drkit-lifecycle-costs",
      "drkit-spaces-bucket",
      "drkit-bucket-versioned",
      "drkit-bucket-private",
      "drkit-bucket-tls-only",
      "drkit-bucket-kms",
      "drkit-bucket-key-policy",
      "drkit-bucket-lock-vs-lifecycle",
      "drkit-objectives",
      "drkit-objectives-advice",
      "drkit-no-access-keys",
    ]);
  });

  const bad = ["digitalocean:index/spacesBucket:SpacesBucket", "backups", { name: "shop-backups", acl: "public-read", lifecycleRules: [{ enabled: true, prefix: "pgbackrest/", expiration: { days: 30 } }] }] as const;
  const fine = ["digitalocean:index/spacesBucket:SpacesBucket", "fine", { name: "shop-fine", acl: "private", versioning: { enabled: true } }] as const;
  // The SDK leads each message with the policy's description; the finding is the last line. Analyze
  // leaves the URN to the engine (it knows which resource it asked about).
  const named = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.getPolicyname()} ${d.getUrn().split("::").at(-1) ?? ""}: ${d.getMessage().split("\n").at(-1)}`);

  it("reports a public, unversioned Spaces bucket as the engine registers it (Analyze)", async () => {
    expect(named((await call(client.analyze, resource(...bad, "AnalyzeRequest"))).getDiagnosticsList())).toEqual([
      expect.stringMatching(/^drkit-spaces-bucket : versioning is off/),
      expect.stringMatching(/^drkit-spaces-bucket : acl 'public-read' exposes backups/),
    ]);
    expect(named((await call(client.analyze, resource(...fine, "AnalyzeRequest"))).getDiagnosticsList())).toEqual([]);
  });

  it("reports a lifecycle rule that expires a pgBackRest repository once the stack is known (AnalyzeStack)", async () => {
    const request = new messages["AnalyzeStackRequest"]!();
    request["setResourcesList"]!([resource(...bad), resource(...fine)]);
    expect(named((await call(client.analyzeStack, request)).getDiagnosticsList())).toEqual([
      expect.stringMatching(/^drkit-lifecycle-valid backups: lifecycle rule 'rule 0' \(prefix 'pgbackrest\/'\): expires files pgBackRest's repository still needs/),
    ]);
  });
});
