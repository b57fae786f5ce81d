import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellcheckTexts } from "../harness/shellcheck";
import { afterAll, describe, expect, it } from "vitest";
import { redisContainerLayout, redisInput, renderRedisAcl, renderRedisConf, renderRestoreScript, renderSnapshotScript } from "../../components/redis";
import { merge, minimalDrill, minimalPrimary, specOf } from "../config/fixtures";

const layout = redisContainerLayout();
const primary = specOf(merge(minimalPrimary(), { redis: { appendfsync: "always", maxmemory: "256Mi", maxmemoryPolicy: "allkeys-lru" } }), "prod");
const drill = specOf(minimalDrill(), "staging");
const scratch = mkdtempSync(join(tmpdir(), "drkit-redis-render-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("redis.conf", () => {
  const conf = renderRedisConf(primary, layout).split("\n");

  it("persists with AOF as the spec says and loads truncated tails", () => {
    expect(conf).toEqual(
      expect.arrayContaining([
        "appendonly yes",
        "appendfsync always",
        "aof-use-rdb-preamble yes",
        "aof-load-truncated yes",
        'appenddirname "appendonlydir"',
        "dir /data",
        'save ""',
        `maxmemory ${256 * 2 ** 20}`,
        "maxmemory-policy allkeys-lru",
      ]),
    );
  });

  it("serves TLS only on its one port with the mounted pair, clients authenticating by password", () => {
    expect(conf).toEqual(expect.arrayContaining(["port 0", "tls-port 6379", "tls-cert-file /etc/drkit-redis-tls/tls.crt", "tls-key-file /etc/drkit-redis-tls/tls.key", "tls-ca-cert-file /etc/drkit-redis-tls/ca.crt", "tls-auth-clients no"]));
    const plain = renderRedisConf(specOf(merge(minimalPrimary(), { redis: { tls: false } }), "prod"), layout).split("\n");
    expect(plain).toContain("port 6379");
    expect(plain.filter((line) => line.startsWith("tls-"))).toEqual([]);
  });

  it("has no password: that is in the ACL file", () => {
    expect(conf.some((line) => /requirepass|masterauth|>/.test(line))).toBe(false);
    expect(conf).toContain("aclfile /etc/drkit-redis-acl/users.acl");
  });
});

describe("the ACL", () => {
  it("denies the dangerous commands unless the spec allows them", () => {
    expect(renderRedisAcl(primary, "s3cret")).toBe("user default on >s3cret ~* &* +@all -@admin -flushall -flushdb +sync +psync +replconf\n");
    const lenient = specOf(merge(minimalPrimary(), { redis: { allowDangerousCommands: true } }));
    expect(renderRedisAcl(lenient, "s3cret")).toBe("user default on >s3cret ~* &* +@all\n");
  });

  it("refuses a password it could not write safely", () => {
    expect(() => renderRedisAcl(primary, "with space")).toThrow(/letters, digits/);
  });
});

describe("the snapshot and restore scripts", () => {
  const scripts = {
    snapshot: renderSnapshotScript(primary, layout, redisInput(primary).snapshots!, "redis.app.svc"),
    restore: renderRestoreScript(drill, layout, redisInput(drill).source!),
  };

  it.each(Object.entries(scripts))("%s passes shellcheck with every check on", (name, script) => {
    expect(shellcheckTexts({ [name]: script })).toBe("");
  });

  it("write to this stack's prefix and read from the source's", () => {
    expect(scripts.snapshot).toContain("PREFIX='redis/prod/'");
    expect(scripts.snapshot).toContain("KEEP=48");
    expect(scripts.snapshot).toContain("ENDPOINT_URL='https://s3.eu-central-1.amazonaws.com'");
    expect(scripts.restore).toContain("PREFIX='redis/prod/'");
    expect(scripts.restore).toContain("BUCKET='acme-dr-prod-replica'");
    expect(scripts.restore).toContain("VERIFY_TLS='yes'");
  });

  it("refuse to run without a step", () => {
    const file = join(scratch, "usage.sh");
    writeFileSync(file, scripts.snapshot);
    const result = spawnSync("bash", [file], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("FAILED: usage: snapshot.sh dump | upload");
  });
});
