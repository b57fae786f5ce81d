import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("prod's Redis under mocks", () => {
  let stack: RenderedStack;
  let pod: any;
  beforeAll(async () => {
    stack = await renderStack("prod");
    pod = (stack.named("redis", "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).template.spec;
  });

  it("runs the rendered redis.conf with AOF everysec and the password only in the ACL Secret", () => {
    const config = stack.named("redis-config").inputs["data"] as Record<string, string>;
    expect(Object.keys(config).sort()).toEqual(["redis.conf", "snapshot.sh"]);
    expect(config["redis.conf"]).toContain("appendfsync everysec");
    expect(config["redis.conf"]).toContain("aclfile /etc/drkit-redis-acl/users.acl");
    expect(config["redis.conf"]).toContain(`maxmemory ${2 ** 30}`);
    // The snapshot job runs in Redis's namespace and reaches it by its Service's name there.
    expect(config["snapshot.sh"]).toContain("REDIS_HOST='redis'");
    const auth = stack.named("redis-auth").inputs["stringData"] as Record<string, string>;
    expect(auth["users.acl"]).toBe(`user default on >${auth["password"]} ~* &* +@all -@admin -flushall -flushdb +sync +psync +replconf\n`);
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("is one protected, non-root Redis with an exporter and no restore step", () => {
    const sts = stack.named("redis", "kubernetes:apps/v1:StatefulSet");
    expect(sts.protect && sts.retainOnDelete).toBe(true);
    expect(pod.initContainers).toEqual([]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
    expect(pod.containers.map((c: any) => c.name)).toEqual(["redis", "exporter"]);
    expect(pod.containers[0].command).toEqual(["redis-server", "/etc/drkit-redis/redis.conf"]);
    expect(pod.containers[0].resources.limits).toEqual({ cpu: "500m", memory: "2Gi" });
    expect(pod.containers[1].ports).toEqual([{ name: "metrics", containerPort: 9121 }]);
    const claim = stack.named("data-redis-0", "kubernetes:core/v1:PersistentVolumeClaim");
    expect(claim.protect && claim.retainOnDelete).toBe(true);
    expect((claim.inputs["spec"] as any).resources.requests.storage).toBe("10Gi");
  });

  it("snapshots off-site every 2 minutes, one run at a time, each bounded so the newest is at most 3.5 minutes old", () => {
    const cron = (stack.named("redis-snapshot").inputs["spec"] as any);
    expect(cron).toMatchObject({ schedule: "*/2 * * * *", timeZone: "UTC", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 30 });
    expect(cron.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 60 });
    const job = cron.jobTemplate.spec.template.spec;
    expect(job.initContainers.map((c: any) => c.command)).toEqual([["bash", "/etc/drkit-redis/snapshot.sh", "dump"]]);
    expect(job.containers.map((c: any) => c.command)).toEqual([["bash", "/etc/drkit-redis/snapshot.sh", "upload"]]);
    // The upload assumes the snapshot job's own role; the dump from Redis gets no token.
    expect(job.serviceAccountName).toBe("redis-snapshot");
    const holders = [...job.initContainers, ...job.containers].filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === "aws-token")).map((c: any) => c.name);
    expect(holders).toEqual(["upload"]);
  });

  it("keeps snapshot job pods out of the Redis PodDisruptionBudget and Services", () => {
    const jobLabels = (stack.named("redis-snapshot").inputs["spec"] as any).jobTemplate.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => jobLabels[k] === v);
    const pdb = (stack.named("redis", "kubernetes:policy/v1:PodDisruptionBudget").inputs["spec"] as any).selector.matchLabels;
    expect(matches(pdb)).toBe(false);
    for (const service of ["redis-headless", "redis-client"]) expect(matches((stack.named(service).inputs["spec"] as any).selector), service).toBe(false);
    expect(jobLabels).toMatchObject({ "drkit.dev/role": "redis-snapshot" });
  });

  it("runs every container in drkit's images, never in an image the tests did not run the scripts in", () => {
    const images = [...pod.initContainers, ...pod.containers, ...(stack.named("redis-snapshot").inputs["spec"] as any).jobTemplate.spec.template.spec.containers].map((c: any) => c.image);
    for (const image of images) expect(image).toMatch(/\/drkit-(redis|jobs):[^@]+@sha256:/);
  });

  it("admits labelled clients, snapshot jobs and the monitoring namespace only", () => {
    const ingress = (stack.named("redis", "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"] as any).ingress;
    expect(ingress[0].from).toEqual([
      ...["trading-data", "trading"].map((namespace) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, podSelector: { matchLabels: { "drkit.dev/redis-client": "true" } } })),
      { podSelector: { matchLabels: { "drkit.dev/role": "redis-snapshot" } } },
    ]);
    expect(ingress[1].ports).toEqual([{ protocol: "TCP", port: 9121 }]);
    expect(stack.outputs["cache"]).toEqual({ endpoint: "redis.trading-data.svc:6379", passwordSecret: "redis-auth" });
    expect(stack.outputs["cachePassword"]).toBe("drkit-fake-random-redis-password");
    expect(stack.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.secretOutputPaths).toEqual(expect.arrayContaining(["cachePassword"]));
  });
});

