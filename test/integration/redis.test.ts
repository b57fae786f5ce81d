import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, stopAll, waitFor } from "../../cli/local/processes";
import { LocalRedis } from "../../cli/local/redis";
import { RespClient } from "../../cli/local/resp";
import { startLocalS3, type LocalS3 } from "../../cli/local/s3";
import { REDIS_BUCKET, redisDrillSpec, redisPrimarySpec } from "./redisFixtures";

/**
 * The rendered redis.conf, ACL and snapshot/restore scripts on a real redis-server, with the
 * snapshots going through a local S3 endpoint over TLS.
 */

let root: string;
let s3: LocalS3;
const roots: string[] = [];
const tempRoot = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
};

/** Objects under a prefix of the local bucket (s3rver keeps them as files). */
function objectsUnder(prefix: string): string[] {
  const dir = join(s3.directory, REDIS_BUCKET, prefix);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith("._S3rver_object"))
    .map((name) => name.replace(/\._S3rver_object$/, ""))
    .sort();
}

beforeAll(async () => {
  root = tempRoot("drkit-redis-it-");
  s3 = await startLocalS3(join(root, "s3"), [REDIS_BUCKET]);
});

afterAll(async () => {
  await stopAll();
  await s3?.stop();
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe("AOF with appendfsync everysec", () => {
  it("loses at most 2 s of acknowledged writes to kill -9", async () => {
    const redis = await LocalRedis.create({ spec: redisPrimarySpec("everysec"), root: tempRoot("drkit-redis-aof-"), s3 });
    await redis.start();
    const client = await redis.client();
    const acknowledgedAt: number[] = [0];
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const value = (await client.command("INCR", "sequence")) as number;
      acknowledgedAt[value] = performance.now();
    }
    const last = acknowledgedAt.length - 1;
    await redis.kill();
    client.close();
    await redis.start();
    const restored = Number((await redis.cli(["get", "sequence"])).stdout.trim());
    expect(restored).toBeGreaterThan(0);
    expect(restored).toBeLessThanOrEqual(last);
    const lostMs = restored === last ? 0 : acknowledgedAt[last]! - acknowledgedAt[restored]!;
    expect(lostMs).toBeLessThanOrEqual(2000);
    await redis.kill();
  });

  it("refuses the dangerous commands and needs the password", async () => {
    const redis = await LocalRedis.create({ spec: redisPrimarySpec(), root: tempRoot("drkit-redis-acl-"), s3 });
    await redis.start();
    const client = await redis.client();
    for (const command of [["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "dir"], ["DEBUG", "SLEEP", "0"]]) {
      // NOPERM from the ACL; DEBUG is also off in Redis 7 itself ("not allowed").
      await expect(client.command(...command)).rejects.toThrow(/NOPERM|DEBUG command not allowed/);
    }
    client.close();
    const anonymous = await RespClient.connect(redis.layout.port);
    await expect(anonymous.command("GET", "x")).rejects.toThrow(/NOAUTH/);
    anonymous.close();
    await redis.kill();
  });

  it("still loads an AOF whose tail was cut off", async () => {
    const redis = await LocalRedis.create({ spec: redisPrimarySpec(), root: tempRoot("drkit-redis-trunc-"), s3 });
    await redis.start();
    const client = await redis.client();
    for (let i = 1; i <= 100; i++) await client.command("SET", `key:${i}`, "x".repeat(100));
    client.close();
    await redis.kill();
    const aofDir = join(redis.layout.dataDir, "appendonlydir");
    const incr = readdirSync(aofDir).find((name) => name.endsWith(".incr.aof"))!;
    const path = join(aofDir, incr);
    truncateSync(path, statSync(path).size - 20);
    await redis.start();
    const keys = Number((await redis.cli(["dbsize"])).stdout.trim());
    expect(keys).toBe(99);
    await redis.kill();
  });
});

describe("off-site snapshots and restore-on-bootstrap", () => {
  let primary: LocalRedis;

  it("uploads consistent snapshots with a checksum marker and keeps the newest N", async () => {
    primary = await LocalRedis.create({ spec: redisPrimarySpec(), root: tempRoot("drkit-redis-primary-"), s3 });
    await primary.start();
    const client = await primary.client();
    let lastStamp = "";
    for (let i = 1; i <= 4; i++) {
      await client.command("SET", "generation", i);
      await client.command("RPUSH", "queue", `task-${i}`);
      if (i === 4) {
        // A snapshot whose upload died before its checksum marker: incomplete, older than the newest.
        const orphan = join(primary.layout.workDir, "orphan.rdb");
        writeFileSync(orphan, "partial");
        await run("aws", ["--endpoint-url", `https://${s3.host}:${s3.port}`, "--region", "us-east-1", "--no-verify-ssl", "s3", "cp", "--only-show-errors", orphan, `s3://${REDIS_BUCKET}/redis/prod/20000101T000000Z.rdb`], { env: primary.env });
        expect(objectsUnder("redis/prod")).toContain("20000101T000000Z.rdb");
      }
      const result = await primary.snapshot();
      expect(result.code, result.stderr).toBe(0);
      const stamp = /redis\/prod\/(\d{8}T\d{6}Z)\.rdb/.exec(result.stderr)?.[1];
      expect(stamp).toBeDefined();
      expect(stamp! > lastStamp).toBe(true);
      lastStamp = stamp!;
      // Snapshot names carry the UTC second they were taken: the next one needs a new second.
      const second = () => new Date().toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z";
      await waitFor("a new UTC second", () => second() !== lastStamp, 2000, 20);
    }
    client.close();
    const objects = objectsUnder("redis/prod");
    const snapshots = objects.filter((o) => o.endsWith(".rdb"));
    expect(snapshots).toHaveLength(3);
    expect(snapshots.at(-1)).toBe(`${lastStamp}.rdb`);
    expect(objects).not.toContain("20000101T000000Z.rdb");
    for (const s of snapshots) expect(objects).toContain(`${s}.sha256`);
  });

  it("fills an empty drill volume from the newest snapshot, and leaves a full one alone", async () => {
    const drill = await LocalRedis.create({ spec: redisDrillSpec("staging"), root: tempRoot("drkit-redis-drill-"), s3 });
    const result = await drill.restore();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("seeded 2 keys");
    await drill.start();
    expect((await drill.cli(["get", "generation"])).stdout.trim()).toBe("4");
    expect((await drill.cli(["lrange", "queue", "0", "-1"])).stdout.trim().split("\n")).toEqual(["task-1", "task-2", "task-3", "task-4"]);
    await drill.cli(["set", "written-after-restore", "yes"]);
    await drill.kill();
    const again = await drill.restore();
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("the volume holds data: nothing to restore");
    await drill.start();
    expect((await drill.cli(["get", "written-after-restore"])).stdout.trim()).toBe("yes");
    await drill.kill();
  });

  it("refuses a snapshot that fails its checksum, leaving the volume empty", async () => {
    const newest = objectsUnder("redis/prod").filter((o) => o.endsWith(".rdb")).at(-1)!;
    const file = join(s3.directory, REDIS_BUCKET, "redis/prod", `${newest}._S3rver_object`);
    const original = readFileSync(file);
    const corrupt = Buffer.from(original);
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = corrupt[middle]! ^ 0xff;
    writeFileSync(file, corrupt);
    try {
      const drill = await LocalRedis.create({ spec: redisDrillSpec("staging-corrupt"), root: tempRoot("drkit-redis-corrupt-"), s3 });
      const result = await drill.restore();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`does not match its checksum: refusing to restore it`);
      expect(drill.dataEntries()).toEqual([]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("fails clearly without a snapshot, or starts empty when the spec accepts that", async () => {
    const strict = await LocalRedis.create({ spec: redisDrillSpec("staging-none", { prefix: "redis/nothing/" }), root: tempRoot("drkit-redis-none-"), s3 });
    const failed = await strict.restore();
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/FAILED: no complete snapshot under s3:\/\/drkit-redis-it\/redis\/nothing\//);
    expect(strict.dataEntries()).toEqual([]);

    const lenient = await LocalRedis.create({ spec: redisDrillSpec("staging-cache", { prefix: "redis/nothing/", ifMissing: "start-empty" }), root: tempRoot("drkit-redis-cache-"), s3 });
    const empty = await lenient.restore();
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toContain("starting empty (ifMissing: start-empty)");
    await lenient.start();
    expect((await lenient.cli(["dbsize"])).stdout.trim()).toBe("0");
    await lenient.kill();
  });
});
