import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RespClient } from "../../cli/containers/resp";
import { PodFailed } from "../../cli/containers/runner";
import { PORT } from "../../components/workloads/names";
import { waitFor } from "../../cli/containers/wait";
import { redisCliArgs } from "../../cli/containers/stores";
import { bucketKeys } from "./bucketKeys";
import { killJobContainer, startCluster, type Cluster, type StackRun } from "./harness";
import { REDIS_BUCKET, redisDrillSpec, redisPrimarySpec, redisQueueDrillSpec } from "./redisFixtures";

// Containers: images start, restores replay, jobs run to completion.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/**
 * The Redis pod, its snapshot job and a drill's restore steps where they must refuse or
 * survive, in containers: the ACL, a torn AOF, pruning, a full volume, a damaged or missing
 * snapshot.
 */

let cluster: Cluster;
let primary: StackRun;
const objects = (prefix: string) => bucketKeys(cluster.s3Directory, REDIS_BUCKET, prefix).map((k) => k.slice(prefix.length + 1));
const drill = (stack: string, restoreFrom: Record<string, unknown> = {}) => cluster.stack(redisDrillSpec(stack, restoreFrom), { own: "unused", source: "unused" });

beforeAll(async () => {
  const spec = redisPrimarySpec();
  cluster = await startCluster("redis-edges", [REDIS_BUCKET], spec);
  primary = await cluster.stack(spec, { own: "unused" });
  await primary.runner.startServer("redis");
}, 600_000);

afterAll(async () => {
  await cluster?.destroy();
}, 300_000);

describe("the Redis pod", () => {
  it("loses at most 2 s of acknowledged writes to a kill -9 of its pod (AOF everysec)", async () => {
    const client = await RespClient.connect(PORT.redis, await primary.runner.address("redis"), primary.redisTls);
    await client.command("AUTH", "default", primary.secretValue({ kind: "password", id: "redis" }));
    const acknowledgedAt: number[] = [0];
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const value = (await client.command("INCR", "sequence")) as number;
      acknowledgedAt[value] = performance.now();
    }
    const last = acknowledgedAt.length - 1;
    await primary.runner.stopServer("redis", { kill: true });
    client.close();
    await primary.runner.startServer("redis");
    const restored = Number(await primary.redisCli(["GET", "sequence"]));
    expect(restored).toBeGreaterThan(0);
    expect(restored).toBeLessThanOrEqual(last);
    expect(restored === last ? 0 : acknowledgedAt[last]! - acknowledgedAt[restored]!).toBeLessThanOrEqual(2000);
  });

  it("refuses the dangerous commands, and anyone without the password", async () => {
    const denied = [["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "dir"], ["DEBUG", "SLEEP", "0"], ["ACL", "SETUSER", "default", "+@all"], ["ACL", "LIST"], ["SHUTDOWN", "NOSAVE"], ["REPLICAOF", "127.0.0.1", "1"], ["BGSAVE"]];
    for (const command of denied) {
      // NOPERM from the ACL; DEBUG is also off in Redis 7 itself ("not allowed").
      expect(await primary.redisCli(command), command.join(" ")).toMatch(/NOPERM|DEBUG command not allowed/);
    }
    // The ACL it cannot change still holds: FLUSHALL stays refused after the attempt above.
    expect(await primary.redisCli(["FLUSHALL"])).toMatch(/NOPERM/);
    expect(await primary.redisCli(["PING"])).toBe("PONG");
    const anonymous = await primary.runner.exec("redis", "redis", ["env", "-u", "REDISCLI_AUTH", "redis-cli", ...redisCliArgs(primary.runner), "GET", "x"]);
    expect(anonymous.stdout).toMatch(/NOAUTH/);
  });

  it("speaks TLS only, with a certificate for the Service's name signed by the CA clients are given", async () => {
    const address = await primary.runner.address("redis");
    const tls = primary.redisTls!;
    expect(tls).toBeDefined();
    const served = await RespClient.connect(PORT.redis, address, tls);
    try {
      await served.command("AUTH", "default", primary.secretValue({ kind: "password", id: "redis" }));
      expect(await served.command("PING")).toBe("PONG");
    } finally {
      served.close();
    }
    // A plaintext client gets no answer: Redis drops what is not a TLS handshake.
    const plain = await RespClient.connect(PORT.redis, address);
    await expect(plain.command("PING")).rejects.toThrow(/closed|ECONNRESET/);
    plain.close();
    // The certificate names the Service, not any name a client might dial, and another CA's clients do not trust it.
    await expect(RespClient.connect(PORT.redis, address, { ...tls, servername: "redis.elsewhere" })).rejects.toThrow(/altnames|does not match/i);
    await expect(RespClient.connect(PORT.redis, address, { ...tls, ca: primary.secretValue({ kind: "tls", part: "ca.crt", peer: "server" }) })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it("still loads an AOF whose tail was cut off by a crash", async () => {
    for (let i = 1; i <= 100; i++) await primary.redisCli(["SET", `torn:${i}`, "x".repeat(100)]);
    await primary.runner.stopServer("redis", { kill: true });
    await primary.runner.onDataVolume("redis", 'f=$(ls /data/appendonlydir/*.incr.aof | tail -n 1); truncate -s -20 "$f"');
    await primary.runner.startServer("redis");
    expect(await primary.redisCli(["EVAL", "return #redis.call('KEYS', 'torn:*')", "0"])).toBe("99");
    await primary.redisCli(["DEL", ...Array.from({ length: 100 }, (_, i) => `torn:${i + 1}`)]);
  });
});

describe("off-site snapshots and restore-on-bootstrap", () => {
  let lastStamp = "";

  it("uploads consistent snapshots with a checksum marker and keeps the newest N", async () => {
    for (let i = 1; i <= 4; i++) {
      await primary.redisCli(["SET", "generation", String(i)]);
      await primary.redisCli(["RPUSH", "queue", `task-${i}`]);
      if (i === 4) {
        // A snapshot whose upload died before its checksum marker: incomplete, older than the newest.
        const upload = await cluster.aws(["s3", "cp", "--only-show-errors", "/etc/hostname", `s3://${REDIS_BUCKET}/redis/prod/20000101T000000Z.rdb`]);
        expect(upload.code, upload.stderr).toBe(0);
        expect(objects("redis/prod")).toContain("20000101T000000Z.rdb");
      }
      const job = await primary.runner.runJob("redis-snapshot");
      expect(job.ok, job.output).toBe(true);
      const stamp = /redis\/prod\/(\d{8}T\d{6}Z)\.rdb/.exec(job.output)?.[1];
      expect(stamp).toBeDefined();
      expect(stamp! > lastStamp).toBe(true);
      lastStamp = stamp!;
      // Snapshot names carry the UTC second they were taken: the next one needs a new second.
      const second = () => `${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`;
      await waitFor("a new UTC second", () => second() !== lastStamp, 2000, 20);
    }
    const listed = objects("redis/prod");
    const snapshots = listed.filter((o) => o.endsWith(".rdb"));
    expect(snapshots).toHaveLength(3);
    expect(snapshots.at(-1)).toBe(`${lastStamp}.rdb`);
    expect(listed).not.toContain("20000101T000000Z.rdb");
    for (const s of snapshots) expect(listed).toContain(`${s}.sha256`);
  });

  it("fills an empty drill volume from the newest snapshot, and leaves a full one alone", async () => {
    const staging = await drill("staging");
    await staging.runner.startServer("redis");
    expect(await staging.redisCli(["GET", "generation"])).toBe("4");
    expect((await staging.redisCli(["LRANGE", "queue", "0", "-1"])).split("\n")).toEqual(["task-1", "task-2", "task-3", "task-4"]);
    await staging.redisCli(["SET", "written-after-restore", "yes"]);
    await staging.runner.stopServer("redis");
    await staging.runner.startServer("redis");
    expect(await staging.redisCli(["GET", "written-after-restore"])).toBe("yes");
  });

  it("refuses a snapshot that fails its checksum, leaving the volume empty", async () => {
    const file = join(cluster.s3Directory, REDIS_BUCKET, "redis/prod", `${lastStamp}.rdb._S3rver_object`);
    const original = readFileSync(file);
    const corrupt = Buffer.from(original);
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = corrupt[middle]! ^ 0xff;
    writeFileSync(file, corrupt);
    try {
      const staging = await drill("staging-corrupt");
      const failure = await staging.runner.startServer("redis").then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(PodFailed);
      expect((failure as Error).message).toContain("does not match its checksum: refusing to restore it");
      expect((await staging.runner.onDataVolume("redis", "ls -A /data")).trim()).toBe("");
    } finally {
      writeFileSync(file, original);
    }
  });

  it("fails clearly without a snapshot, or starts empty when the spec accepts that", async () => {
    const strict = await drill("staging-none", { prefix: "redis/nothing/" });
    const failure = await strict.runner.startServer("redis").then(() => undefined, (error: unknown) => error);
    expect((failure as Error).message).toMatch(/FAILED: no complete snapshot under s3:\/\/drkit-redis-it\/redis\/nothing\//);
    expect((await strict.runner.onDataVolume("redis", "ls -A /data")).trim()).toBe("");

    const lenient = await drill("staging-cache", { prefix: "redis/nothing/", ifMissing: "start-empty" });
    await lenient.runner.startServer("redis");
    expect(await lenient.redisCli(["DBSIZE"])).toBe("0");
  });

  it("starts empty by design when its snapshots are off, although the primary's snapshots are in the bucket", async () => {
    // The primary's complete snapshots are there (the tests above uploaded them).
    expect(objects("redis/prod").filter((key) => key.endsWith(".rdb")).length).toBeGreaterThan(0);
    const queue = await cluster.stack(redisQueueDrillSpec("staging-queue"), { own: "unused", source: "unused" });
    // Nothing in its plan reads or writes the bucket: no restore steps, no snapshot job, no key.
    expect(queue.plan.servers.find((s) => s.pod.name === "redis")!.pod.initContainers).toEqual([]);
    expect(queue.plan.jobs.map((j) => j.name)).not.toContain("redis-snapshot");
    expect(queue.plan.secrets.flatMap((s) => Object.values(s.data)).filter((v) => v.kind === "s3Key" && v.identity.startsWith("redis"))).toEqual([]);
    await queue.runner.startServer("redis");
    expect(await queue.redisCli(["DBSIZE"])).toBe("0");
    await queue.redisCli(["RPUSH", "queue", "task-after-disaster"]);
    expect(await queue.redisCli(["LLEN", "queue"])).toBe("1");
  });
});

describe("a snapshot killed while Redis streams it", () => {
  it("uploads nothing, leaves Redis serving with no transfer left open, and the next one completes", async () => {
    const before = objects("redis/prod");
    const replicas = async () => Number(/connected_slaves:(\d+)/.exec(await primary.redisCli(["INFO", "replication"]))?.[1] ?? "-1");
    const running = primary.runner.runJob("redis-snapshot");
    // redis-cli --rdb is a replica to Redis for as long as the transfer lasts.
    await waitFor("the snapshot's transfer under way", async () => (await replicas()) > 0, 60_000, 50);
    await killJobContainer(primary, "redis-snapshot", "dump");
    const killed = await running;
    expect(killed.ok).toBe(false);
    expect(killed.containers.map((c) => c.name)).toEqual(["dump"]);
    expect(objects("redis/prod")).toEqual(before);
    await waitFor("the dead transfer dropped", async () => (await replicas()) === 0 && /rdb_bgsave_in_progress:0/.test(await primary.redisCli(["INFO", "persistence"])), 60_000, 250);
    expect(await primary.redisCli(["SET", "after-the-killed-snapshot", "1"])).toBe("OK");

    const next = await primary.runner.runJob("redis-snapshot");
    expect(next.ok, next.output).toBe(true);
    expect(objects("redis/prod").filter((o) => !before.includes(o))).toHaveLength(2);
  });
});

describe("a snapshot upload killed midway", () => {
  it("never becomes a snapshot a restore would take, and is removed after the next complete one", async () => {
    const snapshots = () => objects("redis/prod").filter((o) => o.endsWith(".rdb"));
    const before = snapshots();
    // Each request answered after 2 s: the checksum marker is still to come when the snapshot lands.
    cluster.s3.fault({ delayMs: 2000 });
    const running = primary.runner.runJob("redis-snapshot");
    let partial = "";
    try {
      await waitFor(
        "the snapshot itself in the bucket",
        async () => {
          partial = snapshots().find((o) => !before.includes(o)) ?? "";
          return partial !== "";
        },
        180_000,
        100,
      );
      await killJobContainer(primary, "redis-snapshot", "upload");
    } finally {
      cluster.s3.fault(undefined);
    }
    const killed = await running;
    expect(killed.ok).toBe(false);
    expect(objects("redis/prod")).not.toContain(`${partial}.sha256`);

    const next = await primary.runner.runJob("redis-snapshot");
    expect(next.ok, next.output).toBe(true);
    expect(next.output).toContain(`removed incomplete redis/prod/${partial}`);
    expect(objects("redis/prod")).not.toContain(partial);
  });
});
