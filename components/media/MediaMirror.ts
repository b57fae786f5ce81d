import * as pulumi from "@pulumi/pulumi";
import type { MediaSpec, Role } from "../config";
import type { HostPlacement } from "../host/placement";
import type { S3Access } from "../storage/BackupStorage";
import type { S3Credentials } from "../storage/BucketIdentity";
import { planAccess } from "../storage/WorkloadRole";
import { s3Address } from "../storage/paths";
import { configObjects, jobObject } from "../workloads/kubernetes";
import type { S3Identity, SecretValue } from "../workloads/plan";
import type { WorkloadIdentityArgs } from "../workloads/webIdentity";
import { MEDIA_OBJECTS, mediaLabels, mediaPlan, type MediaInput, type MediaLocation } from "./plan";

export interface MediaMirrorArgs {
  /** The stack's name: labels and script comments. */
  stack: string;
  /** `dr` and `drill` copy the source's mirrored media into the application's bucket first. @default "primary" */
  role?: Role;
  /** Namespace of the jobs (Kubernetes). */
  namespace: pulumi.Input<string>;
  /** Time zone of the schedule. @default "UTC" */
  timeZone?: string;
  /** `drkit:media` parsed: the application's bucket, the schedule, the removal limit. */
  media: MediaSpec;
  /** The key pair of the application's media bucket (`drkit:mediaCredentials`): read by the mirror, written by the reverse copy. */
  applicationKeys: S3Credentials;
  /** Write access to the backup bucket's media prefix (`BackupStorage.writers.media`). */
  mirror: S3Access;
  /** Write access to the copy's media prefix (`BackupStorage.copy.writers.media`), kept in step by the same runs. @default none */
  copy?: S3Access;
  /** Read access to the source's mirrored media (`BackupStorage.restore.media`). Required unless `role` is `primary`. */
  source?: S3Access;
  /** How long the reverse copy may run: the media RTO, seconds. @default 4h */
  restoreDeadline?: number;
  /** drkit's jobs image (`DrkitImages.refs.jobs`): rclone runs in it. */
  images: { jobs: pulumi.Input<string> };
  /** Roles for service accounts (IRSA) for the mirror's access to the bucket. @default none: keys */
  workloadIdentity?: WorkloadIdentityArgs;
  /** Place the plan on a Docker host instead of creating Kubernetes objects. @default Kubernetes */
  placement?: HostPlacement;
}

/**
 * The application's media, backed up: a CronJob that mirrors the media bucket into the backup
 * bucket's media prefix with rclone (the bucket's versioning keeps what the application replaced
 * or removed), and in a dr or drill stack a Job at deployment that copies the source's mirrored
 * media into the application's new bucket. The Kubernetes (or Docker host) mapping of `mediaPlan`.
 */
export class MediaMirror extends pulumi.ComponentResource {
  /** The IAM roles its pods assume, by ServiceAccount (none with static keys). */
  public readonly workloadRoleArns: Record<string, pulumi.Output<string>>;
  /** The CronJob of the mirror. */
  public readonly cronJobName: string;

  constructor(name: string, args: MediaMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:media:MediaMirror", name, {}, opts);
    const role = args.role ?? "primary";
    if (role !== "primary" && !args.source) throw new Error(`MediaMirror '${name}' (role ${role}) needs source: the mirrored media to copy back`);
    const { media } = args;
    const located = (access: S3Access): MediaLocation => ({ bucket: access.location.bucket, region: access.location.region, prefix: access.location.prefix, address: access.location.endpoint });
    const input: MediaInput = {
      stack: args.stack,
      role,
      timeZone: args.timeZone ?? "UTC",
      media,
      restoreDeadline: args.restoreDeadline ?? 4 * 3600,
      application: { bucket: media.bucket, region: media.region, prefix: "", address: s3Address(media.provider, media.region, media.endpoint) },
      mirror: located(args.mirror),
      ...(role !== "primary" && args.source ? { source: located(args.source) } : {}),
      ...(args.copy ? { copy: located(args.copy) } : {}),
      credentials: args.workloadIdentity ? "web-identity" : "static-keys",
    };
    const plan = mediaPlan(input);
    const accesses: Partial<Record<S3Identity, S3Access>> = {
      media: args.mirror,
      mediaApp: { location: { provider: media.provider, bucket: media.bucket, region: media.region, endpoint: input.application.address, prefix: "" }, credentials: args.applicationKeys },
      ...(args.source ? { mediaSource: args.source } : {}),
      ...(args.copy ? { mediaCopy: args.copy } : {}),
    };
    const access = planAccess(`MediaMirror '${name}'`, plan, { accesses, namespace: args.namespace, ...(args.workloadIdentity ? { workloadIdentity: args.workloadIdentity } : {}) }, this);
    this.workloadRoleArns = access.roleArns;
    const secretValue = (value: SecretValue): pulumi.Input<string> => {
      if (value.kind !== "s3Key") throw new Error(`a media plan has no ${value.kind} secret`);
      return access.s3Key(value);
    };
    if (args.placement) {
      args.placement.add(`MediaMirror '${name}'`, plan, secretValue);
    } else {
      const mapping = { namespace: args.namespace, images: args.images, secretValue, labels: mediaLabels(args.stack), roleArn: access.roleArn };
      const { secrets, configMaps } = configObjects(plan, mapping, this);
      const dependsOn: pulumi.Resource[] = [...Object.values(secrets), ...Object.values(configMaps)];
      for (const job of plan.jobs) {
        const timeouts = job.schedule ? {} : { customTimeouts: { create: `${Math.ceil(job.activeDeadlineSeconds / 60)}m` } };
        jobObject(job, mapping, { parent: this, dependsOn, ...timeouts });
      }
    }
    this.cronJobName = MEDIA_OBJECTS.mirrorJob;
    this.registerOutputs({ cronJobName: this.cronJobName });
  }
}
