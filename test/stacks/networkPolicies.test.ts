import { beforeAll, describe, expect, it } from "vitest";
import { PORT } from "../../components/workloads/names";
import { connects, type Policy, type Pod } from "../harness/networkPolicy";
import { renderStack, type RenderedStack } from "../harness/renderStack";

/**
 * prod's NetworkPolicies as the cluster would apply them, judged by the evaluator on the pods
 * the stack deploys (StatefulSet and job templates with their labels): every connection the
 * workloads need is admitted, and nothing else.
 */
describe("prod's network, under mocks", () => {
  let stack: RenderedStack;
  let policies: Policy[];
  const pods = new Map<string, Pod>();
  const ns = "trading-data";
  const S3 = { ip: "52.219.170.1" };
  const INTERNET = { ip: "93.184.216.34" };
  const dns: Pod = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
  const prometheus: Pod = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
  const app = (namespace: string, labels: Record<string, string> = {}): Pod => ({ namespace, labels });
  const pod = (name: string) => {
    const found = pods.get(name);
    if (!found) throw new Error(`no pod template '${name}' (have ${[...pods.keys()].join(", ")})`);
    return found;
  };

  beforeAll(async () => {
    stack = await renderStack("prod");
    policies = stack.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs as unknown as Policy);
    const add = (name: string, namespace: string, template: any) => pods.set(name, { namespace, labels: template.metadata.labels });
    for (const r of stack.ofType("kubernetes:apps/v1:StatefulSet")) add((r.inputs as any).metadata.name, (r.inputs as any).metadata.namespace, (r.inputs as any).spec.template);
    for (const r of stack.ofType("kubernetes:batch/v1:CronJob")) add((r.inputs as any).metadata.name, (r.inputs as any).metadata.namespace, (r.inputs as any).spec.jobTemplate.spec.template);
    for (const r of stack.ofType("kubernetes:batch/v1:Job")) add((r.inputs as any).metadata.name, (r.inputs as any).metadata.namespace, (r.inputs as any).spec.template);
  });

  it("puts every drkit pod under the namespace's default deny, and nothing else", () => {
    const deny = policies.find((p) => (p as any).metadata.name === "drkit-default-deny")!;
    expect(deny.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(pods.size).toBeGreaterThan(6);
    for (const [name, p] of pods) {
      expect(p.namespace, name).toBe(ns);
      expect(p.labels["app.kubernetes.io/part-of"], name).toBe("drkit");
    }
    // An application pod in the same namespace is the application's business.
    expect(connects(policies, app(ns), INTERNET, 80)).toBe(true);
  });

  it("admits labelled clients from the namespaces the spec names, to the client ports only", () => {
    const client = { "drkit.dev/postgres-client": "true", "drkit.dev/redis-client": "true" };
    for (const namespace of [ns, "trading"]) {
      expect(connects(policies, app(namespace, client), pod("postgres"), PORT.postgres), namespace).toBe(true);
      expect(connects(policies, app(namespace, client), pod("redis"), PORT.redis), namespace).toBe(true);
      expect(connects(policies, app(namespace, client), pod("postgres"), PORT.pgbackrestTls), namespace).toBe(false);
    }
    expect(connects(policies, app("trading"), pod("postgres"), PORT.postgres)).toBe(false);
    expect(connects(policies, app("elsewhere", client), pod("postgres"), PORT.postgres)).toBe(false);
    expect(connects(policies, app("elsewhere", client), pod("redis"), PORT.redis)).toBe(false);
  });

  it("lets each job reach what it works with: the pgBackRest server, PostgreSQL, Redis, the gateway, the bucket", () => {
    for (const job of ["postgres-backup-full", "postgres-backup-diff", "postgres-backup-incr", "postgres-archive-check"]) {
      expect(connects(policies, pod(job), pod("postgres"), PORT.pgbackrestTls), job).toBe(true);
      expect(connects(policies, pod(job), S3, 443), job).toBe(true);
    }
    expect(connects(policies, pod("postgres-dump"), pod("postgres"), PORT.postgres)).toBe(true);
    expect(connects(policies, pod("postgres-dump"), S3, 443)).toBe(true);
    expect(connects(policies, pod("postgres-verify"), S3, 443)).toBe(true);
    expect(connects(policies, pod("redis-snapshot"), pod("redis"), PORT.redis)).toBe(true);
    expect(connects(policies, pod("redis-snapshot"), S3, 443)).toBe(true);
    // The jobs that report results to the gateway (the verification, the archive check), and no other.
    for (const job of ["postgres-verify", "postgres-archive-check"]) expect(connects(policies, pod(job), pod("job-metrics"), PORT.jobMetrics), job).toBe(true);
    expect(connects(policies, pod("postgres-backup-full"), pod("job-metrics"), PORT.jobMetrics)).toBe(false);
    // A job is nobody's server, and reaches no server it does not use.
    expect(connects(policies, pod("postgres-verify"), pod("postgres"), PORT.pgbackrestTls)).toBe(false);
    expect(connects(policies, pod("redis-snapshot"), pod("postgres"), PORT.postgres)).toBe(false);
    expect(connects(policies, app(ns, { "drkit.dev/postgres-client": "true" }), pod("postgres-dump"), 8080)).toBe(false);
  });

  it("lets the servers archive to the bucket and resolve names, and nothing else out", () => {
    for (const name of pods.keys()) expect(connects(policies, pod(name), dns, 53, "UDP"), name).toBe(true);
    expect(connects(policies, pod("postgres"), S3, 443)).toBe(true);
    expect(connects(policies, pod("postgres"), INTERNET, 80)).toBe(false);
    expect(connects(policies, pod("postgres"), pod("redis"), PORT.redis)).toBe(false);
    // A primary's Redis and the gateway never leave the cluster.
    expect(connects(policies, pod("redis"), S3, 443)).toBe(false);
    expect(connects(policies, pod("job-metrics"), S3, 443)).toBe(false);
    expect(connects(policies, pod("postgres-backup-full"), INTERNET, 22)).toBe(false);
  });

  it("lets Prometheus scrape the exporters and the gateway, and reach nothing else", () => {
    expect(connects(policies, prometheus, pod("postgres"), PORT.postgresMetrics)).toBe(true);
    expect(connects(policies, prometheus, pod("redis"), PORT.redisMetrics)).toBe(true);
    expect(connects(policies, prometheus, pod("job-metrics"), PORT.jobMetrics)).toBe(true);
    expect(connects(policies, prometheus, pod("postgres"), PORT.postgres)).toBe(false);
  });
});
