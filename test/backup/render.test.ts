import { shellcheckTexts } from "../harness/shellcheck";
import { describe, expect, it } from "vitest";
import { backupJobLayout, deadlineForData, renderBackupJobConf, renderBackupScript, renderDumpScript, renderVerifyConf, renderVerifyScript } from "../../components/backup";
import { containerLayout, ownRepository } from "../../components/postgres";
import { merge, minimalPrimary, specOf } from "../config/fixtures";

const spec = specOf(
  merge(minimalPrimary(), {
    postgres: { dumps: { format: "directory", jobs: 4 }, verification: { tables: [{ database: "app", table: "public.orders", minRows: 10 }], freshness: { database: "app", table: "orders", column: "created_at" } } },
  }),
  "prod",
);
const layout = backupJobLayout(containerLayout(15));
const store = { bucket: "acme-dr-prod", region: "eu-central-1", endpointUrl: "https://s3.eu-central-1.amazonaws.com", verifyTls: true, prefix: "dumps/" };

describe("the backup job scripts", () => {
  const scripts = {
    backup: renderBackupScript(spec, layout),
    dump: renderDumpScript(spec, layout, store, "postgres.app.svc"),
    verify: renderVerifyScript(spec, layout, "/usr/lib/postgresql/15/bin", { url: "http://job-metrics.drkit.svc:9091", labels: { drkit_stack: "prod", drkit_component: "postgres", cluster: "postgres" } }),
  };

  it.each(Object.entries(scripts))("%s.sh passes shellcheck with every check on and starts strict", (name, script) => {
    expect(shellcheckTexts({ [name]: script })).toBe("");
    expect(script).toContain("set -euo pipefail");
  });

  it("dump in the configured format with its parallelism and retention", () => {
    expect(scripts.dump).toContain("FORMAT='directory'");
    expect(scripts.dump).toContain("JOBS=4");
    expect(scripts.dump).toContain("KEEP_LAST=7");
    expect(scripts.dump).toContain("RETENTION_DAYS=365");
  });

  it("verify the configured tables and freshness against the objectives", () => {
    expect(scripts.verify).toContain("TABLES='app:public.orders:10'");
    expect(scripts.verify).toContain("FRESHNESS='app:orders:created_at'");
    expect(scripts.verify).toContain("RTO_SECONDS=3600");
    expect(scripts.verify).toContain("RPO_SECONDS=300");
    expect(scripts.verify).toContain("--archive-mode=off");
  });
});

describe("the backup job configs", () => {
  it("reach the database through the TLS server with the client certificate", () => {
    const conf = renderBackupJobConf(spec, layout, ownRepository(spec), "postgres-0.postgres-headless.app.svc", 8432);
    expect(conf).toContain("[main]\npg1-host=postgres-0.postgres-headless.app.svc\npg1-host-type=tls\npg1-host-port=8432");
    expect(conf).toContain("pg1-host-cert-file=/etc/drkit-backup-tls/tls.crt");
    expect(conf).toContain("repo1-retention-full=7");
    expect(conf).not.toMatch(/s3-key|cipher-pass/);
  });

  it("restore verification into scratch space", () => {
    const conf = renderVerifyConf(spec, layout, ownRepository(spec));
    expect(conf).toContain("pg1-path=/work/pgdata");
    expect(conf).toContain("repo1-path=/pgbackrest/prod");
  });

  it("give data-moving jobs time in proportion to the data", () => {
    expect(deadlineForData(2 ** 30)).toBe(1800);
    expect(deadlineForData(100 * 2 ** 30)).toBe(10_240);
  });
});
