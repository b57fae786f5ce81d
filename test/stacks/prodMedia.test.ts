import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readStackFile } from "../../components/config";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * prod on Kubernetes with its application's media bucket in S3 mirrored (`drkit:media`): the
 * mirror's CronJob assumes a role for the backup bucket's media prefix, and reads the media
 * bucket with the deployer's key pair, which stays a secret.
 */
describe("the prod stack with a media mirror, under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    const storage = JSON.parse(readStackFile(join(PROJECT_ROOT, "Pulumi.prod.yaml")).config["drkit:storage"]!) as Record<string, any>;
    stack = await renderStack("prod", {
      config: {
        "drkit:storage": { ...storage, lifecycle: { ...storage["lifecycle"], media: {} } },
        "drkit:media": { bucket: "trading-media-eu-central-1" },
        "drkit:mediaCredentials": { accessKeyId: "AKIAMEDIA", secretAccessKey: "FAKE-SECRET-media-pair" },
      },
    });
  });

  it("runs the mirror as a CronJob on the media RPO's schedule, with the mirror's role and the media bucket's pair", () => {
    const cronJob = stack.ofType("kubernetes:batch/v1:CronJob").find((c) => (c.inputs["metadata"] as any).name === "media-mirror")!;
    expect((cronJob.inputs["spec"] as any).schedule).toBe("0 */12 * * *");
    const pod = (cronJob.inputs["spec"] as any).jobTemplate.spec.template.spec;
    const env = (pod.containers[0].env as { name: string; valueFrom?: any; value?: string }[]).map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining(["RCLONE_CONFIG_APP_ACCESS_KEY_ID", "RCLONE_CONFIG_APP_SECRET_ACCESS_KEY", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]));
    // With roles, the mirror's own key to the backup bucket does not exist.
    expect(env).not.toContain("RCLONE_CONFIG_MIRROR_SECRET_ACCESS_KEY");
    expect(stack.ofType("drkit:storage:WorkloadRole").map((r) => r.name)).toContain("media-mirror-identity");
    const script = (stack.ofType("kubernetes:core/v1:ConfigMap").find((c) => (c.inputs["metadata"] as any).name === "media-config")!.inputs["data"] as Record<string, string>)["media.sh"]!;
    for (const line of ["APP_BUCKET='trading-media-eu-central-1'", "APP_URL='https://s3.eu-central-1.amazonaws.com'", "MIRROR_PREFIX='media/'", "MAX_DELETE=1000"]) expect(script).toContain(line);
  });

  it("watches the mirror like a backup and keeps the pair secret", () => {
    const rules = JSON.stringify((stack.named("alerts-rules").inputs["spec"] as any).groups);
    expect(rules).toMatch(/BackupTooOld.*media-mirror/);
    expect(secretLeaks(stack)).toEqual([]);
  });
});
