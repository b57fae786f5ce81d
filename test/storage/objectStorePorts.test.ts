import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";
import { objectStorePorts } from "../../components/storage/paths";
import { PROJECT_ROOT } from "../harness/renderStack";

const fileSpec = (file: string, stack: string): DrSpec => {
  const result = checkConfig(rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, file)).config), { stack });
  if (!result.ok) throw new Error(`${file}: ${JSON.stringify(result.problems)}`);
  return result.spec;
};

/** The ports the object-storage egress NetworkPolicy opens: every store's, nothing else. */
describe("objectStorePorts", () => {
  it("is HTTPS alone for stores in S3 and Spaces", () => {
    expect(objectStorePorts(fileSpec("Pulumi.prod.yaml", "prod"))).toEqual([443]);
    expect(objectStorePorts(fileSpec("examples/docker-host/Pulumi.bot.yaml", "bot"))).toEqual([443]);
  });

  it("is the MinIO endpoints' own port for a stack whose bucket, copy and media are in MinIO", () => {
    expect(objectStorePorts(fileSpec("examples/minio/Pulumi.events.yaml", "events"))).toEqual([9000]);
  });

  it("adds an S3-compatible source's port to a bucket in S3, and a plain-http media store's 80", () => {
    const result = checkConfig(
      {
        role: "dr",
        region: "eu-central-1",
        storage: { bucket: "acme-dr", lifecycle: { media: {} } },
        images: { registry: "ghcr.io/acme" },
        cluster: { workloadIdentity: { type: "static-keys" } },
        postgres: { restoreFrom: { provider: "s3-compatible", bucket: "acme-copy", region: "us-east-1", repoPath: "pgbackrest/prod", endpoint: { url: "https://minio.backup-site:9443" }, stackReference: "acme/drkit/prod" } },
        redis: { restoreFrom: { prefix: "redis/prod/" } },
        media: { bucket: "acme-media", provider: "s3-compatible", endpoint: { url: "http://media.internal" } },
        restoreCredentials: "[secret]",
        mediaCredentials: "[secret]",
      },
      { stack: "dr" },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(objectStorePorts(result.spec)).toEqual([80, 443, 9443]);
  });
});
