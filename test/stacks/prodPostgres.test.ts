import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks, secretUses } from "./leaks";
import { postgresPlan } from "../../components/postgres/plan";
import { postgresInput } from "../../components/postgres/input";
import { stackSpec } from "../containers/harness";

const STS = "kubernetes:apps/v1:StatefulSet";

describe("prod's PostgreSQL under mocks", () => {
  let stack: RenderedStack;
  let pod: any;
  beforeAll(async () => {
    stack = await renderStack("prod");
    pod = (stack.named("postgres", STS).inputs["spec"] as any).template.spec;
  });

  it("runs on the cluster the spec names, in its namespace", () => {
    expect(stack.named("namespace").inputs["metadata"]).toMatchObject({ name: "trading-data" });
    for (const r of stack.resources.filter((x) => x.type.startsWith("kubernetes:") && x.custom)) {
      expect(r.provider, r.name).toMatch(/pulumi:providers:kubernetes::kubernetes::/);
      // Everything but the namespace itself and the monitoring objects (which live with Prometheus).
      const expected = r.type.startsWith("kubernetes:monitoring.coreos.com/") ? "monitoring" : "trading-data";
      if (r.type !== "kubernetes:core/v1:Namespace") expect((r.inputs["metadata"] as any).namespace, r.name).toBe(expected);
    }
  });

  it("builds drkit's images and runs every container of the pod in drkit's PostgreSQL image, by digest", () => {
    const registry = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/trading";
    const build = stack.named("images-postgres");
    expect(build.inputs).toMatchObject({ imageName: `${registry}/drkit-postgres:15-drkit` });
    // The base by the digest its tag resolved to at deployment (the mocks' registry answers for it).
    expect((build.inputs["build"] as any).args).toEqual({ BASE: "debian:bookworm-slim@sha256:resolved-at-deploy", PG_MAJOR: "15" });
    expect(stack.named("images-redis").inputs["build"]).toMatchObject({ args: { BASE: "debian:bookworm-slim@sha256:resolved-at-deploy" } });
    expect(stack.named("images-jobs").inputs).toMatchObject({ imageName: `${registry}/drkit-jobs:15-drkit` });
    expect(stack.named("images-redis").inputs).toMatchObject({ imageName: `${registry}/drkit-redis:drkit` });
    const image = `${registry}/drkit-postgres:15-drkit@sha256:known-after-push`;
    expect([...pod.initContainers, ...pod.containers].map((c: any) => c.image)).toEqual([image, image, image, image]);
  });

  it("is the plan the tests and the drill run, mapped 1:1", () => {
    const plan = postgresPlan(postgresInput(stackSpec("prod")));
    const planned = plan.servers[0]!.pod;
    const shape = (containers: any[]) => containers.map((c) => [c.name, c.command, (c.env ?? []).map((e: any) => e.name), (c.volumeMounts ?? []).map((m: any) => m.mountPath)]);
    expect(shape(pod.initContainers)).toEqual(planned.initContainers.map((c) => [c.name, c.command, c.env.map(([name]) => name), c.mounts.map((m) => m.path)]));
    expect(shape(pod.containers)).toEqual(planned.containers.map((c) => [c.name, c.command, c.env.map(([name]) => name), c.mounts.map((m) => m.path)]));
    expect(stack.named("postgres-config").inputs["data"]).toEqual(plan.configMaps[0]!.files);
  });

  it("is one protected primary on a protected claim of its own, which a larger storage.size expands in place", () => {
    const sts = stack.named("postgres", STS);
    expect(sts.protect && sts.retainOnDelete).toBe(true);
    const spec = sts.inputs["spec"] as any;
    expect(spec.replicas).toBe(1);
    // A claim template could never grow: the claim is an object the next `pulumi up` updates.
    expect(spec.volumeClaimTemplates).toBeUndefined();
    expect(pod.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "data-postgres-0" } });
    const claim = stack.named("data-postgres-0", "kubernetes:core/v1:PersistentVolumeClaim");
    expect(claim.protect && claim.retainOnDelete).toBe(true);
    expect(claim.inputs["spec"]).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "100Gi" } } });
    expect((claim.inputs["metadata"] as any).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("bootstraps in an init container, then runs postgres, the pgBackRest TLS server and the exporter, all non-root", () => {
    // OnRootMismatch: kubelet does not walk the whole volume on every start.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999, fsGroupChangePolicy: "OnRootMismatch" });
    expect(pod.initContainers.map((c: any) => [c.name, c.command])).toEqual([["bootstrap", ["bash", "/etc/drkit/bootstrap.sh"]]]);
    const [postgres, pgbackrest, exporter] = pod.containers;
    expect(postgres.command).toEqual(["tini", "--", "postgres", "-D", "/var/lib/postgresql/data/pgdata", "-c", "config_file=/etc/drkit/postgresql.conf"]);
    expect(postgres.resources).toEqual({ requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "2", memory: "8Gi" } });
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(postgres[probe].exec.command[0]).toBe("pg_isready");
    expect(pgbackrest.command.at(-1)).toBe("server");
    expect(pgbackrest.ports).toEqual([{ name: "pgbackrest", containerPort: 8432 }]);
    expect(exporter.ports).toEqual([{ name: "metrics", containerPort: 9187 }]);
    expect(exporter.env.find((e: any) => e.name === "DATA_SOURCE_USER").value).toBe("drkit_monitor");
    for (const c of [...pod.initContainers, ...pod.containers]) expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  it("puts the rendered configuration in a ConfigMap and every credential in a Secret (no S3 key: the pod assumes its role)", () => {
    const config = stack.named("postgres-config").inputs["data"] as Record<string, string>;
    expect(Object.keys(config).sort()).toEqual(["bootstrap.sh", "exporter-queries.yaml", "pg_hba.conf", "pgbackrest.conf", "postgresql.conf"]);
    expect(config["postgresql.conf"]).toContain("archive_timeout = '60s'");
    const credentials = stack.named("postgres-credentials");
    expect(Object.keys(credentials.inputs["stringData"] as object).sort()).toEqual(
      ["DRKIT_MONITOR_PASSWORD", "DRKIT_PASSWORD_trading", "DRKIT_PASSWORD_users", "PGBACKREST_REPO1_CIPHER_PASS", "POSTGRES_PASSWORD"],
    );
  });

  it("gives applications one Secret per database", () => {
    const trading = stack.named("postgres-db-trading").inputs["stringData"] as any;
    expect(trading).toMatchObject({ username: "trading", dbname: "trading", host: "postgres.trading-data.svc", port: "5432" });
    expect(trading.uri).toBe(`postgresql://trading:${trading.password}@postgres.trading-data.svc:5432/trading?sslmode=require`);
    expect(trading["ca.crt"]).toBe("CERT-postgres-ca");
    expect(stack.outputs["database"]).toEqual({ host: "postgres.trading-data.svc", port: 5432, secrets: { trading: "postgres-db-trading", users: "postgres-db-users" } });
    // The same URI as the Secret's, as a secret output of its own (what a Docker host's applications read).
    expect(stack.outputs["databaseUris"]).toEqual({ trading: trading.uri, users: expect.stringMatching(/^postgresql:\/\/users:drkit-fake-random-postgres-owner-users@postgres\.trading-data\.svc:5432\/users\?sslmode=require$/) });
    const root = stack.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    expect(root.secretOutputPaths).toContain("databaseUris");
    expect(root.secretOutputPaths).not.toContain("database");
  });

  it("never lets a generated password or key out of a Secret or a Pulumi secret", () => {
    expect(secretUses(stack)).toBeGreaterThan(10);
    expect(secretLeaks(stack)).toEqual([]);
    const root = stack.ofType("pulumi:pulumi:Stack")[0]!;
    expect(root.secretOutputPaths).toContain("repoCipherPassphrase");
    expect(stack.named("postgres-repo-cipher").protect).toBe(true);
  });

  it("issues mTLS certificates for the pgBackRest server and the backup jobs", () => {
    expect(stack.named("postgres-ca").inputs).toMatchObject({ isCaCertificate: true });
    expect(stack.named("postgres-client-request").inputs["subject"]).toEqual({ commonName: "drkit-backup" });
    // The pod's names for pgBackRest, the client Service's for PostgreSQL's own TLS.
    expect(stack.named("postgres-server-request").inputs["dnsNames"]).toEqual(["postgres-0.postgres-headless.trading-data.svc", "postgres-0.postgres-headless", "postgres.trading-data.svc", "postgres", "postgres.trading-data"]);
    expect(Object.keys(stack.named("postgres-pgbackrest-client").inputs["stringData"] as object).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
  });

  it("exposes a headless and a client Service, a PodDisruptionBudget and a NetworkPolicy", () => {
    expect((stack.named("postgres-headless").inputs["spec"] as any)).toMatchObject({ clusterIP: "None", ports: [{ port: 5432 }, { port: 8432 }] });
    expect((stack.named("postgres-client").inputs["spec"] as any).ports).toEqual([{ name: "postgres", port: 5432, targetPort: "postgres" }]);
    expect((stack.named("postgres", "kubernetes:policy/v1:PodDisruptionBudget").inputs["spec"] as any).minAvailable).toBe(1);
    const ingress = (stack.named("postgres", "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"] as any).ingress;
    expect(ingress).toEqual([
      // Clients from the stack's namespace and the ones drkit:cluster.clientNamespaces names, no other.
      {
        from: ["trading-data", "trading"].map((namespace) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, podSelector: { matchLabels: { "drkit.dev/postgres-client": "true" } } })),
        ports: [{ protocol: "TCP", port: 5432 }],
      },
      { from: [{ podSelector: { matchLabels: { "drkit.dev/role": "backup-job" } } }], ports: [{ protocol: "TCP", port: 8432 }] },
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ protocol: "TCP", port: 9187 }] },
    ]);
    expect(stack.named("postgres", "kubernetes:core/v1:ServiceAccount").inputs["automountServiceAccountToken"]).toBe(false);
  });
});
