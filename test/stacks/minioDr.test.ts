import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RecordedResource, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * examples/minio/Pulumi.events-dr.yaml under mocks: the dr stack at the backup site restores
 * from the copy in that site's MinIO (an S3-compatible source, read with its own pair) and backs
 * up into a bucket of its own there.
 */
const containers = (stack: RenderedStack) => stack.ofType("docker:index/container:Container");
const named = (stack: RenderedStack, name: string): RecordedResource => {
  const found = containers(stack).find((c) => c.inputs["name"] === name);
  if (!found) throw new Error(`no container ${name}: ${containers(stack).map((c) => String(c.inputs["name"])).join(", ")}`);
  return found;
};
const uploaded = (stack: RenderedStack, prepare: string, file: string) => {
  const all = named(stack, prepare).inputs["uploads"] as { file: string; content: string }[];
  const found = all.find((u) => u.file === file);
  if (!found) throw new Error(`${prepare} uploads no ${file}: ${all.map((u) => u.file).join(", ")}`);
  return found.content;
};

describe("a dr stack restoring from the copy in a MinIO, under mocks (examples/minio)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("events-dr", { stackFile: join(PROJECT_ROOT, "examples", "minio", "Pulumi.events-dr.yaml") });
  });

  it("restores PostgreSQL from the copy's repository at the copy's endpoint, with the read pair", () => {
    const conf = uploaded(stack, "drkit-events-dr-postgres-prepare", "/seed/config/pgbackrest-restore.conf");
    for (const line of ["repo2-path=/pgbackrest/events", "repo2-s3-bucket=events-backups-copy", "repo2-s3-endpoint=minio.dc2.events.internal", "repo2-s3-uri-style=path", "repo2-storage-port=9000"]) {
      expect(conf).toContain(line);
    }
    expect(uploaded(stack, "drkit-events-dr-postgres-prepare", "/seed/env-bootstrap/PGBACKREST_REPO2_S3_KEY_SECRET")).toBe("FAKE-SECRET-restoreCredentials");
    // It archives into its own bucket, with its own pair, and keeps no copy.
    const own = uploaded(stack, "drkit-events-dr-postgres-prepare", "/seed/config/pgbackrest.conf");
    expect(own).toContain("repo1-s3-bucket=events-dr-backups");
    expect(own).not.toContain("repo3-");
    expect(uploaded(stack, "drkit-events-dr-postgres-prepare", "/seed/env-postgres/PGBACKREST_REPO1_S3_KEY_SECRET")).toBe("FAKE-SECRET-storageCredentials");
  });

  it("seeds Redis from the primary's snapshots in the copy, with the read pair", () => {
    const restore = uploaded(stack, "drkit-events-dr-redis-prepare", "/seed/config/restore.sh");
    for (const line of ["BUCKET='events-backups-copy'", "PREFIX='redis/events/'", "ENDPOINT_URL='https://minio.dc2.events.internal:9000'", "VERIFY_TLS='yes'"]) expect(restore).toContain(line);
    expect(uploaded(stack, "drkit-events-dr-redis-prepare", "/seed/env-restore-fetch/AWS_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-restoreCredentials");
  });

  it("copies the copy's mirrored media into the backup site's new media bucket once, at deployment", () => {
    const jobs = JSON.parse(uploaded(stack, "drkit-events-dr-scheduler-prepare", "/seed/config/jobs.json")) as { jobs: { name: string; schedule?: string }[] };
    expect(jobs.jobs.find((j) => j.name === "media-restore")?.schedule).toBeUndefined();
    const script = uploaded(stack, "drkit-events-dr-media-restore-prepare", "/seed/config/media.sh");
    for (const line of ["SOURCE_BUCKET='events-backups-copy'", "SOURCE_PREFIX='media/'", "SOURCE_URL='https://minio.dc2.events.internal:9000'", "APP_BUCKET='events-media'", "MIRROR_BUCKET='events-dr-backups'"]) {
      expect(script).toContain(line);
    }
    expect(uploaded(stack, "drkit-events-dr-media-restore-prepare", "/seed/env-restore/RCLONE_CONFIG_SOURCE_SECRET_ACCESS_KEY")).toBe("FAKE-SECRET-restoreCredentials");
  });

  it("makes only its own bucket, in the backup site's MinIO, and keeps every pair secret", () => {
    expect(stack.ofType("aws:s3/bucket:Bucket").map((b) => b.inputs["bucket"])).toEqual(["events-dr-backups"]);
    const providers = stack.resources.filter((r) => r.type === "pulumi:providers:aws");
    expect(providers.map((p) => p.inputs["endpoints"])).toEqual(['[{"s3":"https://minio.dc2.events.internal:9000"}]']);
    expect(secretLeaks(stack)).toEqual([]);
  });
});
