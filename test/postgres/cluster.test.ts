import { beforeAll, describe, expect, it } from "vitest";
import { renderProgram, type RenderedStack } from "../harness/renderStack";

/** PostgresCluster on its narrow args alone (test/fixtures/programs/postgresAlone.ts). */
describe("PostgresCluster alone, from its own args", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderProgram("postgresAlone");
  });
  const configFile = (file: string) => (stack.named("ledger-config", "kubernetes:core/v1:ConfigMap").inputs as any).data[file] as string;

  it("archives to the repository its storage access names, and nowhere the stack file says", () => {
    const conf = configFile("pgbackrest.conf");
    expect(conf).toContain("repo1-path=/pg/ledger\nrepo1-s3-bucket=ledger-backups\nrepo1-s3-endpoint=s3.eu-west-1.amazonaws.com\nrepo1-s3-region=eu-west-1");
    expect(conf).not.toContain("trading");
    const credentials = stack.named("ledger-credentials", "kubernetes:core/v1:Secret").inputs as any;
    expect(credentials.stringData.PGBACKREST_REPO1_S3_KEY).toBe("AKIALEDGER");
  });

  it("initialises an empty volume (role primary by default) and protects its data", () => {
    expect(configFile("bootstrap.sh")).toContain("ROLE='primary'");
    const claim = stack.named("data-ledger-0", "kubernetes:core/v1:PersistentVolumeClaim");
    expect([claim.protect, claim.retainOnDelete]).toEqual([true, true]);
  });

  it("takes its DNS names from the namespace resource: outputs, certificate and application Secret", () => {
    expect(stack.outputs["host"]).toBe("ledger.ledger-db.svc");
    expect(stack.outputs["pgbackrestHost"]).toBe("ledger-0.ledger-headless.ledger-db.svc");
    const request = stack.named("ledger-server-request", "tls:index/certRequest:CertRequest").inputs as any;
    expect(request.dnsNames).toEqual(expect.arrayContaining(["ledger-0.ledger-headless.ledger-db.svc", "ledger.ledger-db.svc"]));
    const app = stack.ofType("kubernetes:core/v1:Secret").find((s) => (s.inputs as any).metadata.name.startsWith("ledger-db-"))!.inputs as any;
    expect(app.stringData.host).toBe("ledger.ledger-db.svc");
    expect(stack.named("ledger-ca", "tls:index/selfSignedCert:SelfSignedCert").inputs).toMatchObject({ subject: { commonName: "drkit ledger ledger pgBackRest CA" } });
  });

  it("admits clients from its own namespace only and metrics from the default monitoring namespace", () => {
    const policy = stack.named("ledger", "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs as any;
    expect(policy.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ledger-db" } }, podSelector: { matchLabels: { "drkit.dev/postgres-client": "true" } } }]);
    expect(policy.spec.ingress[2].from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
  });

  it("registers no stack spec: nothing of it was given", () => {
    expect(stack.ofType("drkit:postgres:PostgresCluster")[0]!.outputs).not.toHaveProperty("drSpec");
  });
});
