import { describe, expect, it } from "vitest";
import { backupInput, backupPlan } from "../../components/backup/plan";
import { postgresPlan } from "../../components/postgres/plan";
import { postgresInput } from "../../components/postgres/input";
import { redisInput } from "../../components/redis/input";
import { redisPlan } from "../../components/redis/plan";
import { mergePlans, type ContainerPlan, type PodPlan, type WorkloadPlan } from "../../components/workloads/plan";
import { stackSpec } from "../containers/harness";

/**
 * The plans of prod and staging, checked as a kubelet would refuse them: every file, Secret key,
 * volume and image a container names must exist in the plan, and the pods must be what drkit
 * promises (non-root, limits, fsGroup policy, drkit's images only).
 */

const plans: [string, WorkloadPlan][] = ["prod", "staging"].map((stack) => {
  const spec = stackSpec(stack);
  return [stack, mergePlans(postgresPlan(postgresInput(spec)), backupPlan(backupInput(spec)), redisPlan(redisInput(spec)))];
});
const pods = (plan: WorkloadPlan): PodPlan[] => [...plan.servers.map((s) => s.pod), ...plan.jobs.map((j) => j.pod)];
const containers = (pod: PodPlan): ContainerPlan[] => [...pod.initContainers, ...pod.containers];

describe.each(plans)("the %s plan", (_stack, plan) => {
  it("names every object once", () => {
    const names = (list: { name: string }[]) => list.map((o) => o.name);
    for (const list of [plan.configMaps, plan.secrets, plan.jobs, plan.servers.map((s) => s.pod)]) expect(new Set(names(list)).size).toBe(list.length);
  });

  it("gives every container only Secret keys, volumes and files the plan has", () => {
    for (const pod of pods(plan)) {
      for (const volume of pod.volumes) {
        if (volume.kind === "configMap") expect(plan.configMaps.map((c) => c.name), `${pod.name}/${volume.name}`).toContain(volume.object);
        if (volume.kind === "secret") {
          const secret = plan.secrets.find((s) => s.name === volume.object);
          expect(secret, `${pod.name}/${volume.name}`).toBeDefined();
          for (const key of volume.items ?? []) expect(Object.keys(secret!.data)).toContain(key);
        }
      }
      for (const container of containers(pod)) {
        for (const mount of container.mounts) expect(pod.volumes.map((v) => v.name), `${pod.name}/${container.name}`).toContain(mount.volume);
        for (const [name, source] of container.env) {
          if ("secret" in source) expect(Object.keys(plan.secrets.find((s) => s.name === source.secret)?.data ?? {}), `${pod.name}/${container.name} ${name}`).toContain(source.key);
          if ("configMap" in source) expect(Object.keys(plan.configMaps.find((c) => c.name === source.configMap)?.files ?? {}), `${pod.name}/${container.name} ${name}`).toContain(source.key);
        }
        // A script a container runs is a file of a ConfigMap it mounts.
        const script = container.command.find((part) => part.endsWith(".sh"));
        if (script) {
          const mount = container.mounts.find((m) => script.startsWith(`${m.path}/`))!;
          const volume = pod.volumes.find((v) => v.name === mount.volume)!;
          expect(volume.kind).toBe("configMap");
          const config = plan.configMaps.find((c) => volume.kind === "configMap" && c.name === volume.object)!;
          expect(Object.keys(config.files), `${pod.name}/${container.name}`).toContain(script.slice(mount.path.length + 1));
        }
      }
    }
  });

  it("never nests a mount inside a read-only volume (runc cannot make the mount point)", () => {
    for (const pod of pods(plan)) {
      for (const container of containers(pod)) {
        const readOnly = container.mounts.filter((m) => m.readOnly).map((m) => m.path);
        for (const mount of container.mounts) for (const parent of readOnly) expect(mount.path.startsWith(`${parent}/`), `${container.name}: ${mount.path} under ${parent}`).toBe(false);
      }
    }
  });

  it("runs everything as uid 999 with limits, in drkit's images, with the fsGroup policy that spares large volumes", () => {
    for (const pod of pods(plan)) {
      expect(pod.security).toEqual({ uid: 999, gid: 999, fsGroup: 999, fsGroupChangePolicy: "OnRootMismatch" });
      for (const container of containers(pod)) {
        expect(["postgres", "redis", "jobs"]).toContain(container.image);
        expect(container.limits.cpu).toBeGreaterThan(0);
        expect(container.limits.memory).toBeGreaterThan(0);
      }
    }
  });

  it("keeps secret values out of the plan: only their sources are in it", () => {
    const text = JSON.stringify(plan);
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    for (const secret of plan.secrets) for (const value of Object.values(secret.data)) expect(["password", "s3Key", "cipher", "tls", "redisAcl", "redisTls"]).toContain(value.kind);
  });
});

describe("the plans' differences", () => {
  const prod = plans[0]![1];
  const staging = plans[1]![1];
  it("restore only in the drill: restore steps, source credentials and the verification at deployment", () => {
    const initNames = (plan: WorkloadPlan, server: string) => plan.servers.find((s) => s.pod.name === server)!.pod.initContainers.map((c) => c.name);
    expect(initNames(prod, "redis")).toEqual([]);
    expect(initNames(staging, "redis")).toEqual(["restore-fetch", "restore-seed"]);
    // Only the drill's Redis fetches from the bucket, so only its pod may reach the object store.
    const redisReaches = (plan: WorkloadPlan) => plan.servers.find((s) => s.pod.name === "redis")!.pod.objectStorage ?? false;
    expect([redisReaches(prod), redisReaches(staging)]).toEqual([false, true]);
    // The drill's PostgreSQL pod reads the source (repo2) too: its role grants the source's reader.
    const roleOf = (plan: WorkloadPlan) => plan.servers.find((s) => s.pod.name === "postgres")!.pod.serviceAccount?.s3;
    expect([roleOf(prod), roleOf(staging)]).toEqual([["pgbackrest"], ["pgbackrest", "pgbackrestSource"]]);
    const keyTypes = (plan: WorkloadPlan) => plan.servers.find((s) => s.pod.name === "postgres")!.pod.initContainers[0]!.env.filter(([name]) => name.endsWith("_S3_KEY_TYPE")).map(([name]) => name);
    expect([keyTypes(prod), keyTypes(staging)]).toEqual([["PGBACKREST_REPO1_S3_KEY_TYPE"], ["PGBACKREST_REPO1_S3_KEY_TYPE", "PGBACKREST_REPO2_S3_KEY_TYPE"]]);
    expect(staging.jobs.find((j) => j.name === "postgres-verify-at-start")?.schedule).toBeUndefined();
    expect(prod.jobs.map((j) => j.name)).not.toContain("postgres-verify-at-start");
  });

  it("run the jobs' uploads in drkit's jobs image, whose bash the tests ran them in", () => {
    for (const plan of [prod, staging]) {
      const uploads = plan.jobs.flatMap((j) => containers(j.pod)).filter((c) => c.command.some((part) => part === "upload" || part === "fetch"));
      expect(uploads.length).toBeGreaterThan(0);
      for (const container of uploads) expect(container.image).toBe("jobs");
    }
  });
});

/** What each container of a plan holds: its secret variables, its mounted Secret keys, the role it assumes. */
function credentialsHeld(plan: WorkloadPlan): Record<string, string[]> {
  const held: Record<string, string[]> = {};
  for (const pod of pods(plan)) {
    for (const container of containers(pod)) {
      const variables = container.env.filter(([, source]) => "secret" in source).map(([name]) => name);
      const role = container.env.flatMap(([, source]) => ("roleOf" in source ? [`role:${source.roleOf}`] : []));
      const files = container.mounts
        .map((m) => pod.volumes.find((v) => v.name === m.volume)!)
        .flatMap((v) => (v.kind === "secret" ? [`${v.object}[${(v.items ?? ["*"]).join(",")}]`] : v.kind === "serviceAccountToken" ? [`token:${pod.serviceAccount?.name}`] : []));
      held[`${pod.name}/${container.name}`] = [...variables, ...role, ...files];
    }
  }
  return held;
}

// The superuser's password only where roles are set (the bootstrap); the repository's access
// where WAL or backups are written; a dump's upload holds no database password and its dump
// step no bucket access; the snapshot's dump step verifies Redis with the CA alone; each
// exporter holds its own login and nothing else; the pgBackRest server, no bucket access.
describe("credentials in the prod plan", () => {
  it("reach only the containers that use them: with roles (prod's IRSA), each pod's own role and token, and no key at all", () => {
    expect(credentialsHeld(plans[0]![1])).toEqual({
      "postgres/bootstrap": ["POSTGRES_PASSWORD", "DRKIT_MONITOR_PASSWORD", "DRKIT_PASSWORD_trading", "DRKIT_PASSWORD_users", "PGBACKREST_REPO1_CIPHER_PASS", "role:postgres", "token:postgres"],
      "postgres/postgres": ["PGBACKREST_REPO1_CIPHER_PASS", "role:postgres", "postgres-pgbackrest-server[*]", "token:postgres"],
      "postgres/pgbackrest": ["postgres-pgbackrest-server[*]"],
      "postgres/exporter": ["DATA_SOURCE_PASS"],
      "redis/redis": ["REDISCLI_AUTH", "redis-auth[users.acl]", "redis-tls[ca.crt,tls.crt,tls.key]"],
      "redis/exporter": ["REDIS_PASSWORD"],
      "postgres-backup-full/backup": ["PGBACKREST_REPO1_CIPHER_PASS", "role:postgres-backup-full", "postgres-pgbackrest-client[*]", "token:postgres-backup-full"],
      "postgres-backup-diff/backup": ["PGBACKREST_REPO1_CIPHER_PASS", "role:postgres-backup-diff", "postgres-pgbackrest-client[*]", "token:postgres-backup-diff"],
      "postgres-backup-incr/backup": ["PGBACKREST_REPO1_CIPHER_PASS", "role:postgres-backup-incr", "postgres-pgbackrest-client[*]", "token:postgres-backup-incr"],
      "postgres-archive-check/backup": ["PGBACKREST_REPO1_CIPHER_PASS", "PGBACKREST_REPO2_CIPHER_PASS", "role:postgres-archive-check", "postgres-pgbackrest-client[*]", "token:postgres-archive-check"],
      "postgres-dump/dump": ["DRKIT_PASSWORD_trading", "DRKIT_PASSWORD_users"],
      "postgres-dump/upload": ["role:postgres-dump", "token:postgres-dump"],
      "postgres-verify/verify": ["PGBACKREST_REPO1_CIPHER_PASS", "role:postgres-verify", "token:postgres-verify"],
      "redis-snapshot/dump": ["REDISCLI_AUTH", "redis-auth[ca.crt]"],
      "redis-snapshot/upload": ["role:redis-snapshot", "token:redis-snapshot"],
    });
    // Each role grants exactly what its pod's containers used.
    expect(Object.fromEntries(pods(plans[0]![1]).flatMap((pod) => (pod.serviceAccount ? [[pod.serviceAccount.name, pod.serviceAccount.s3]] : [])))).toEqual({
      postgres: ["pgbackrest"],
      "postgres-backup-full": ["pgbackrest"],
      "postgres-backup-diff": ["pgbackrest"],
      "postgres-backup-incr": ["pgbackrest"],
      "postgres-archive-check": ["pgbackrest", "pgbackrestReplica"],
      "postgres-dump": ["dumps"],
      "postgres-verify": ["pgbackrestReader"],
      "redis-snapshot": ["redis"],
    });
  });

  it("reach only the containers that use them: with static keys, each key where its data path is written or read", () => {
    const spec = stackSpec("prod");
    const keyed = { ...spec, cluster: { ...spec.cluster, workloadIdentity: { type: "static-keys" as const } } };
    const plan = mergePlans(postgresPlan(postgresInput(keyed)), backupPlan(backupInput(keyed)), redisPlan(redisInput(keyed)));
    expect(pods(plan).filter((pod) => pod.serviceAccount)).toEqual([]);
    expect(credentialsHeld(plan)).toEqual({
      "postgres/bootstrap": ["POSTGRES_PASSWORD", "DRKIT_MONITOR_PASSWORD", "DRKIT_PASSWORD_trading", "DRKIT_PASSWORD_users", "PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS"],
      "postgres/postgres": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS", "postgres-pgbackrest-server[*]"],
      "postgres/pgbackrest": ["postgres-pgbackrest-server[*]"],
      "postgres/exporter": ["DATA_SOURCE_PASS"],
      "redis/redis": ["REDISCLI_AUTH", "redis-auth[users.acl]", "redis-tls[ca.crt,tls.crt,tls.key]"],
      "redis/exporter": ["REDIS_PASSWORD"],
      "postgres-backup-full/backup": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS", "postgres-pgbackrest-client[*]"],
      "postgres-backup-diff/backup": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS", "postgres-pgbackrest-client[*]"],
      "postgres-backup-incr/backup": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS", "postgres-pgbackrest-client[*]"],
      "postgres-archive-check/backup": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS", "PGBACKREST_REPO2_S3_KEY", "PGBACKREST_REPO2_S3_KEY_SECRET", "PGBACKREST_REPO2_CIPHER_PASS", "postgres-pgbackrest-client[*]"],
      "postgres-dump/dump": ["DRKIT_PASSWORD_trading", "DRKIT_PASSWORD_users"],
      "postgres-dump/upload": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      "postgres-verify/verify": ["PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET", "PGBACKREST_REPO1_CIPHER_PASS"],
      "redis-snapshot/dump": ["REDISCLI_AUTH", "redis-auth[ca.crt]"],
      "redis-snapshot/upload": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    });
  });
});
