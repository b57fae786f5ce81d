import { join } from "node:path";
import { shellcheckTexts } from "../harness/shellcheck";
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../components/config";
import {
  archivePushQueueMaxMiB,
  archiveTimeout,
  bootstrapEnvironment,
  containerLayout,
  memorySettings,
  ownRepository,
  postgresqlSettings,
  recoveryTargetTime,
  renderBootstrapScript,
  renderPgbackrestConf,
  renderRestoreConf,
  sourceRepository,
  tlsServerCommand,
} from "../../components/postgres";
import { rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";
import { PROJECT_ROOT } from "../harness/renderStack";
import { merge, minimalPrimary } from "../config/fixtures";

function stackSpec(stack: string): DrSpec {
  const result = checkConfig(rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).config), { stack });
  if (!result.ok) throw new Error(`${stack} does not parse`);
  return result.spec;
}
const prod = stackSpec("prod");
const staging = stackSpec("staging");
const layout = containerLayout(15);

describe("settings derived from the objectives and resources", () => {
  it.each([
    [60, 15],
    [300, 60],
    [900, 180],
    [3600, 600],
    [7200, 600],
  ])("archive_timeout for an RPO of %d s is %d s", (rpo, timeout) => {
    expect(archiveTimeout(rpo)).toBe(timeout);
    expect(timeout).toBeLessThan(rpo);
  });

  it("sizes memory from the container limit and connections", () => {
    expect(memorySettings(8 * 2 ** 30, 200)).toEqual({ sharedBuffersMiB: 2048, effectiveCacheSizeMiB: 6144, maintenanceWorkMemMiB: 409, workMemMiB: 10 });
    expect(memorySettings(512 * 2 ** 20, 100)).toEqual({ sharedBuffersMiB: 128, effectiveCacheSizeMiB: 384, maintenanceWorkMemMiB: 64, workMemMiB: 4 });
  });

  it("bounds the archive queue at a quarter of the volume", () => {
    expect(archivePushQueueMaxMiB(100 * 2 ** 30)).toBe(25_600);
    expect(archivePushQueueMaxMiB(2 * 2 ** 30)).toBe(512);
    expect(archivePushQueueMaxMiB(2 ** 30)).toBe(256);
    // At least four WAL segments.
    expect(archivePushQueueMaxMiB(128 * 2 ** 20)).toBe(64);
  });
});

describe("postgresql.conf", () => {
  const settings = Object.fromEntries(postgresqlSettings(prod, layout));

  it("archives WAL through pgBackRest within the RPO", () => {
    expect(settings).toMatchObject({
      wal_level: "replica",
      archive_mode: "on",
      archive_timeout: "60s",
      archive_command: "pgbackrest --config=/etc/drkit/pgbackrest.conf --stanza=main archive-push %p",
      restore_command: 'pgbackrest --config=/etc/drkit/pgbackrest.conf --stanza=main archive-get %f "%p"',
      hba_file: "/etc/drkit/pg_hba.conf",
    });
  });

  it("takes connections and memory from the spec", () => {
    expect(settings).toMatchObject({ max_connections: 200, shared_buffers: "2048MB", effective_cache_size: "6144MB", port: 5432 });
  });
});

describe("pgbackrest.conf", () => {
  const own = renderPgbackrestConf(prod, layout, ownRepository(prod));
  const lines = own.split("\n");

  it("points at the stack's own repository in its bucket", () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        "repo1-type=s3",
        "repo1-path=/pgbackrest/prod",
        "repo1-s3-bucket=trading-dr-prod-eu-central-1",
        "repo1-s3-endpoint=s3.eu-central-1.amazonaws.com",
        "repo1-s3-region=eu-central-1",
        "repo1-s3-uri-style=host",
        "repo1-cipher-type=aes-256-cbc",
      ]),
    );
    expect(own).not.toContain("verify-tls");
  });

  it("keeps the PITR window by time and archives asynchronously with a bounded queue", () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        "repo1-retention-full-type=time",
        "repo1-retention-full=7",
        "compress-type=zst",
        "archive-async=y",
        "spool-path=/var/lib/postgresql/data/pgbackrest-spool",
        "archive-push-queue-max=25600MiB",
        "process-max=2",
        "[main]",
        "pg1-path=/var/lib/postgresql/data/pgdata",
      ]),
    );
  });

  it("holds no credentials: they come from the environment", () => {
    expect(own).not.toMatch(/s3-key|cipher-pass/);
  });

  it("restores a drill from prod's repository as repo2, read-only", () => {
    const restore = renderRestoreConf(staging, layout, sourceRepository(staging)!);
    expect(restore.split("\n")).toEqual(
      expect.arrayContaining(["repo2-path=/pgbackrest/prod", "repo2-s3-bucket=trading-dr-prod-replica-eu-west-1", "repo2-s3-endpoint=s3.eu-west-1.amazonaws.com", "repo2-cipher-type=aes-256-cbc", "[main]"]),
    );
    expect(restore).not.toMatch(/^repo1-/m);
    expect(renderPgbackrestConf(staging, layout, ownRepository(staging))).toContain("repo1-path=/pgbackrest/staging\n");
  });

  it("serves backup jobs over mutual TLS for the stanza only", () => {
    expect(tlsServerCommand(layout, "main", "/etc/drkit/tls")).toEqual([
      "pgbackrest",
      "--config=/etc/drkit/pgbackrest.conf",
      "--tls-server-address=*",
      "--tls-server-port=8432",
      "--tls-server-ca-file=/etc/drkit/tls/ca.crt",
      "--tls-server-cert-file=/etc/drkit/tls/tls.crt",
      "--tls-server-key-file=/etc/drkit/tls/tls.key",
      "--tls-server-auth=drkit-backup=main",
      "server",
    ]);
  });
});

describe("the bootstrap script", () => {
  const prodScript = renderBootstrapScript({ spec: prod, layout });
  const stagingScript = renderBootstrapScript({ spec: staging, layout, source: sourceRepository(staging)! });

  it.each([
    ["prod", prodScript],
    ["staging", stagingScript],
  ])("for %s passes shellcheck with every check on", (name, script) => {
    expect(shellcheckTexts({ [name]: script })).toBe("");
  });

  it("starts strict and says what it does for each role", () => {
    expect(prodScript.split("\n")[0]).toBe("#!/usr/bin/env bash");
    expect(prodScript).toContain("set -euo pipefail");
    expect(prodScript).toContain("ROLE='primary'");
    expect(stagingScript).toContain("ROLE='drill'");
    expect(stagingScript).toContain("SOURCE_DESCRIPTION='s3://trading-dr-prod-replica-eu-west-1/pgbackrest/prod'");
  });

  it("requires exactly the variables the role needs", () => {
    expect(bootstrapEnvironment(prod)).toEqual([
      "POSTGRES_PASSWORD",
      "DRKIT_MONITOR_PASSWORD",
      "DRKIT_PASSWORD_trading",
      "DRKIT_PASSWORD_users",
      "PGBACKREST_REPO1_S3_KEY",
      "PGBACKREST_REPO1_S3_KEY_SECRET",
      "PGBACKREST_REPO1_CIPHER_PASS",
    ]);
    expect(bootstrapEnvironment(staging)).toEqual(expect.arrayContaining(["PGBACKREST_REPO2_S3_KEY", "PGBACKREST_REPO2_S3_KEY_SECRET", "PGBACKREST_REPO2_CIPHER_PASS"]));
  });

  it("bakes a point-in-time target in as pgBackRest reads it", () => {
    const pitr = merge(staging as any, { postgres: { restoreFrom: { target: "2026-11-20T14:30:00.250+02:00" } } }) as DrSpec;
    expect(renderBootstrapScript({ spec: pitr, layout, source: sourceRepository(pitr)! })).toContain("RESTORE_TARGET='2026-11-20 12:30:00.250+00'");
  });

  it("refuses to render a restore without a source", () => {
    expect(() => renderBootstrapScript({ spec: staging, layout })).toThrow(/needs the source repository/);
  });
});

describe("recoveryTargetTime", () => {
  it.each([
    ["2026-11-20T14:30:00Z", "2026-11-20 14:30:00+00"],
    ["2026-11-20T14:30:00.123456Z", "2026-11-20 14:30:00.123456+00"],
    ["2026-11-20T14:30:00+02:00", "2026-11-20 12:30:00+00"],
    ["2026-11-20 01:15-0530", "2026-11-20 06:45:00+00"],
    ["2026-01-01T00:30:00+01", "2025-12-31 23:30:00+00"],
  ])("%s -> %s", (iso, pg) => {
    expect(recoveryTargetTime(iso)).toBe(pg);
  });
});

describe("objectives WAL archiving cannot meet", () => {
  it("refuses an RPO under a minute", () => {
    const result = checkConfig(merge(minimalPrimary(), { objectives: { postgres: { rpo: "30s" } } }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(["drkit:objectives.postgres.rpo"]);
  });
});
