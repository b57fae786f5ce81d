import { beforeAll, describe, expect, it } from "vitest";
import { renderProgram, type RenderedStack } from "../harness/renderStack";

/** RedisServer on its narrow args alone, as a dr server (test/fixtures/programs/redisAlone.ts). */
describe("RedisServer alone, from its own args", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderProgram("redisAlone");
  });
  const configFile = (file: string) => (stack.named("sessions-config", "kubernetes:core/v1:ConfigMap").inputs as any).data[file] as string;

  it("snapshots to the location of its snapshot access and seeds from the location of its restore source", () => {
    const snapshot = configFile("snapshot.sh");
    expect(snapshot).toContain("BUCKET='sessions-dr-backups'\nPREFIX='redis/sessions-dr/'\nREGION='eu-west-1'\nENDPOINT_URL='https://s3.eu-west-1.amazonaws.com'");
    const restore = configFile("restore.sh");
    expect(restore).toContain("BUCKET='sessions-prod'\nPREFIX='redis/prod/'\nREGION='eu-central-1'");
    expect(restore).toContain("IF_MISSING='fail'");
  });

  it("schedules its snapshots in the time zone it was given, with the credentials it was given", () => {
    const cronJob = stack.ofType("kubernetes:batch/v1:CronJob")[0]!.inputs as any;
    expect(cronJob.spec.timeZone).toBe("Europe/Berlin");
    const secrets = stack.ofType("kubernetes:core/v1:Secret").map((s) => (s.inputs as any).stringData);
    expect(secrets).toEqual(expect.arrayContaining([expect.objectContaining({ AWS_ACCESS_KEY_ID: "AKIAWRITE" }), expect.objectContaining({ AWS_ACCESS_KEY_ID: "AKIAREAD" })]));
  });

  it("takes its address from the namespace resource and admits the client namespaces it was given", () => {
    expect(stack.outputs["endpoint"]).toBe("sessions.sessions-dr.svc:6379");
    const policy = stack.named("sessions", "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs as any;
    const namespaces = policy.spec.ingress[0].from.map((peer: any) => peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"]);
    expect(namespaces).toEqual(["sessions-dr", "web", undefined]);
  });

  it("issues a server certificate for its Service's names from a CA of its own, mounted by the server alone", () => {
    const request = stack.named("sessions-server-request", "tls:index/certRequest:CertRequest").inputs as any;
    expect(request.dnsNames).toEqual(expect.arrayContaining(["sessions", "sessions.sessions-dr.svc", "sessions-0.sessions-headless.sessions-dr.svc"]));
    expect(request.ipAddresses).toEqual(["127.0.0.1"]);
    const statefulSet = stack.ofType("kubernetes:apps/v1:StatefulSet")[0]!.inputs as any;
    const secretVolumes = statefulSet.spec.template.spec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName);
    expect(secretVolumes).toContain("sessions-tls");
    // The snapshot job verifies the server with the CA alone, never holding the server's key.
    const job = (stack.ofType("kubernetes:batch/v1:CronJob")[0]!.inputs as any).spec.jobTemplate.spec.template.spec;
    const tlsVolumes = job.volumes.filter((v: any) => v.secret && v.secret.secretName !== undefined && v.secret.items?.some((i: any) => i.key === "ca.crt"));
    expect(tlsVolumes.map((v: any) => [v.secret.secretName, v.secret.items.map((i: any) => i.key)])).toEqual([["sessions-auth", ["ca.crt"]]]);
    expect(job.volumes.some((v: any) => v.secret?.secretName === "sessions-tls")).toBe(false);
  });

  it("protects the data of a dr server", () => {
    const claim = stack.ofType("kubernetes:core/v1:PersistentVolumeClaim")[0]!;
    expect([claim.protect, claim.retainOnDelete]).toEqual([true, true]);
  });
});
