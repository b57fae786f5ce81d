import { beforeAll, describe, expect, it } from "vitest";
import { deadlineForData } from "../../components/backup";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

const CRON = "kubernetes:batch/v1:CronJob";

describe("prod's backup CronJobs under mocks", () => {
  let stack: RenderedStack;
  const cron = (name: string) => stack.named(name, CRON).inputs["spec"] as any;
  beforeAll(async () => {
    stack = await renderStack("prod");
  });

  it("schedules full, differential and incremental backups, the dump and the verification", () => {
    const schedules = Object.fromEntries(stack.ofType(CRON).map((c) => [(c.inputs["metadata"] as any).name, (c.inputs["spec"] as any).schedule]));
    expect(schedules).toEqual({
      "postgres-backup-full": "0 1 * * 0",
      "postgres-backup-diff": "0 1 * * 1-6",
      "postgres-backup-incr": "30 */6 * * *",
      "postgres-dump": "30 2 * * *",
      "postgres-verify": "0 6 * * 1",
      "postgres-archive-check": "*/10 * * * *",
      "redis-snapshot": "*/2 * * * *",
    });
  });

  it("gives every CronJob the settings that keep it safe", () => {
    const deadline = deadlineForData(100 * 2 ** 30);
    for (const name of ["postgres-backup-full", "postgres-backup-diff", "postgres-backup-incr", "postgres-dump", "postgres-verify", "postgres-archive-check"]) {
      const spec = cron(name);
      expect(spec, name).toMatchObject({ timeZone: "UTC", concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
      expect(spec.startingDeadlineSeconds).toBeGreaterThanOrEqual(60);
      expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 86_400 });
      expect(spec.jobTemplate.spec.activeDeadlineSeconds).toBe(name === "postgres-verify" ? deadline + 900 : deadline);
      const pod = spec.jobTemplate.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999 });
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.resources.limits).toBeDefined();
    }
    expect(deadline).toBe(10_240);
  });

  it("backs up over mutual TLS to the pgBackRest server, with the backup job label the NetworkPolicy admits", () => {
    const spec = cron("postgres-backup-full");
    expect(spec.jobTemplate.spec.template.metadata.labels).toMatchObject({ "drkit.dev/role": "backup-job" });
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].command).toEqual(["bash", "/etc/drkit-backup/backup.sh", "full"]);
    expect(pod.volumes.find((v: any) => v.name === "tls").secret.secretName).toBe("postgres-pgbackrest-client");
    const config = stack.named("postgres-backup-config").inputs["data"] as Record<string, string>;
    // The jobs run in the cluster's namespace and reach it by its name there (a name its certificate carries).
    expect(config["pgbackrest.conf"]).toContain("pg1-host=postgres-0.postgres-headless\npg1-host-type=tls\npg1-host-port=8432");
    expect(config["pgbackrest.conf"]).toContain("repo1-path=/pgbackrest/prod");
    expect(Object.keys(config).sort()).toEqual(["archive-check.sh", "backup.sh", "dump.sh", "pgbackrest.conf", "replica.conf", "verify.conf", "verify.sh"]);
  });

  it("dumps every database as its owner and uploads as the dump job's own role", () => {
    const pod = cron("postgres-dump").jobTemplate.spec.template.spec;
    expect(pod.initContainers[0].env.map((e: any) => e.valueFrom.secretKeyRef)).toEqual([
      { name: "postgres-credentials", key: "DRKIT_PASSWORD_trading" },
      { name: "postgres-credentials", key: "DRKIT_PASSWORD_users" },
    ]);
    expect(pod.containers[0].command).toEqual(["bash", "/etc/drkit-backup/dump.sh", "upload"]);
    expect(cron("postgres-dump").jobTemplate.spec.template.metadata.labels).toMatchObject({ "drkit.dev/postgres-client": "true" });
    // The upload assumes the dump job's role; pg_dump, which reads the database, gets no token.
    expect(pod.serviceAccountName).toBe("postgres-dump");
    const names = (c: any) => c.env.map((e: any) => e.name);
    expect(names(pod.containers[0])).toEqual(expect.arrayContaining(["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]));
    expect(names(pod.initContainers[0])).not.toContain("AWS_ROLE_ARN");
    expect(pod.initContainers[0].volumeMounts.map((m: any) => m.name)).not.toContain("aws-token");
    expect(stack.resources.filter((r) => (r.inputs["metadata"] as any)?.name === "postgres-dumps-s3")).toEqual([]);
    expect(pod.volumes.find((v: any) => v.name === "work").ephemeral.volumeClaimTemplate.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "100Gi" } } });
  });

  it("checks the WAL archive as a backup job that may report to the job-metrics gateway", () => {
    const template = cron("postgres-archive-check").jobTemplate.spec.template;
    expect(template.metadata.labels).toMatchObject({ "drkit.dev/role": "backup-job", "drkit.dev/job-metrics-client": "true" });
    expect(template.spec.containers[0].command).toEqual(["bash", "/etc/drkit-backup/archive-check.sh"]);
    // Both repositories through the job's role; only the passphrases come from Secrets.
    const env = template.spec.containers[0].env;
    expect(env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`)).toEqual([
      "postgres-backup-repository/PGBACKREST_REPO1_CIPHER_PASS",
      "postgres-replica-repository/PGBACKREST_REPO2_CIPHER_PASS",
    ]);
    expect(env.filter((e: any) => e.value === "web-id").map((e: any) => e.name)).toEqual(["PGBACKREST_REPO1_S3_KEY_TYPE", "PGBACKREST_REPO2_S3_KEY_TYPE"]);
    expect(template.spec.serviceAccountName).toBe("postgres-archive-check");
    const config = stack.named("postgres-backup-config").inputs["data"] as Record<string, string>;
    expect(config["archive-check.sh"]).toContain("METRICS_URL='http://job-metrics:9091'");
    expect(config["replica.conf"]).toContain("repo2-s3-bucket=trading-dr-prod-replica-eu-west-1\nrepo2-s3-endpoint=s3.eu-west-1.amazonaws.com");
    expect(config["verify.sh"]).toContain("METRICS_GROUP='/drkit_stack/prod/drkit_component/postgres/cluster/postgres'");
  });

  it("runs the job-metrics gateway that only job pods and the monitoring namespace reach, scraped with the jobs' labels", () => {
    const gateway = stack.ofType("kubernetes:apps/v1:StatefulSet").find((s) => (s.inputs["metadata"] as any).name === "job-metrics")!.inputs["spec"] as any;
    expect(gateway.template.spec.containers[0].command[0]).toBe("prometheus-pushgateway");
    const claim = stack.named("data-job-metrics-0", "kubernetes:core/v1:PersistentVolumeClaim");
    expect((claim.inputs["spec"] as any).resources.requests.storage).toBe("1Gi");
    // Its figures outlive a redeployment, but never block `pulumi destroy`.
    expect([claim.retainOnDelete, claim.protect]).toEqual([true, false]);
    const policy = stack.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => (p.inputs["metadata"] as any).name === "job-metrics")!.inputs["spec"] as any;
    expect(policy.ingress[0].from).toEqual([{ podSelector: { matchLabels: { "drkit.dev/job-metrics-client": "true" } } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
    expect(policy.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9091 }]);
    const monitor = stack.named("alerts-job-metrics-monitor").inputs["spec"] as any;
    expect(monitor.podMetricsEndpoints[0]).toMatchObject({ port: "metrics", honorLabels: true });
    expect(monitor.selector.matchLabels).toEqual(gateway.selector.matchLabels);
    expect(cron("postgres-verify").jobTemplate.spec.template.metadata.labels).toMatchObject({ "drkit.dev/job-metrics-client": "true" });
    expect(stack.ofType("kubernetes:policy/v1:PodDisruptionBudget").map((p) => (p.inputs["metadata"] as any).name)).not.toContain("job-metrics");
  });

  it("verifies as a role of its own, which may only read the repository", () => {
    const pod = cron("postgres-verify").jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("postgres-verify");
    expect(pod.containers[0].env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef.key)).toEqual(["PGBACKREST_REPO1_CIPHER_PASS"]);
    const policy = JSON.parse(stack.named("postgres-verify-identity-policy").inputs["policy"] as string);
    expect(policy.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => [s.Action].flat())).toEqual(["s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "kms:Decrypt"]);
  });

  it("keeps the repository credentials and passphrase in a Secret", () => {
    const env = stack.named("postgres-backup-repository").inputs["stringData"] as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["PGBACKREST_REPO1_CIPHER_PASS"]);
    expect(secretLeaks(stack)).toEqual([]);
    expect(stack.outputs["backupStorage"]).toMatchObject({ cronJobs: { full: "postgres-backup-full", diff: "postgres-backup-diff", incr: "postgres-backup-incr", dump: "postgres-dump", verify: "postgres-verify", archiveCheck: "postgres-archive-check" } });
  });

  it("names the CronJobs the alerts watch", () => {
    const rules = JSON.stringify((stack.named("alerts-rules").inputs["spec"] as any).groups);
    for (const name of ["postgres-backup-full", "postgres-backup-diff", "postgres-backup-incr", "postgres-dump", "postgres-verify", "postgres-archive-check", "redis-snapshot"]) {
      expect(rules).toContain(`cronjob=\\"${name}\\"`);
    }
  });
});
