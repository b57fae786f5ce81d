import { mediaMirrorTiming, type DrSpec, type MediaSpec, type Role } from "../config";
import { renderScript } from "../shell/render";
import { MEDIA_MIRROR_JOB } from "../alerts/targets";
import { addressUrl, s3Address, type S3Address } from "../storage/paths";
import type { S3Substitute } from "../workloads/endpoints";
import { PATH, UID } from "../workloads/names";
import type { ContainerPlan, EnvSource, JobPlan, Mount, PodPlan, S3Identity, SecretValue, VolumePlan, WorkloadPlan } from "../workloads/plan";
import { credentialKind, withCredentials, type S3CredentialKind } from "../workloads/webIdentity";

/** Object names of the media mirror. */
export const MEDIA_OBJECTS = {
  config: "media-config",
  mirrorJob: MEDIA_MIRROR_JOB,
  restoreJob: "media-restore",
  appCredentials: "media-app-s3",
  mirrorCredentials: "media-mirror-s3",
  sourceCredentials: "media-source-s3",
  copyCredentials: "media-copy-s3",
} as const;

/** A bucket and a key prefix (`""` for the whole bucket) at an S3 address. */
export interface MediaLocation {
  bucket: string;
  region: string;
  /** Ends in `/`, or is empty. */
  prefix: string;
  address: S3Address;
}

/** What the media jobs are made from. */
export interface MediaInput {
  stack: string;
  /** A `dr` or `drill` stack copies the source's mirrored media back first. */
  role: Role;
  /** Time zone of the schedule (`drkit:timeZone`). */
  timeZone: string;
  /** The schedule, the removal limit and, for the reverse copy's deadline, the media RTO. */
  media: Pick<MediaSpec, "schedule" | "maxDelete">;
  /** How long the reverse copy may take: the media RTO. */
  restoreDeadline: number;
  /** The application's media bucket. */
  application: MediaLocation;
  /** The mirror: the backup bucket's media prefix. */
  mirror: MediaLocation;
  /** A dr or drill stack's source: the mirrored media it copies back. */
  source?: MediaLocation;
  /** The copy's media prefix (`drkit:storage.copy`): the mirror keeps it in step too. */
  copy?: MediaLocation;
  /** How the mirror's pod reaches the backup bucket. @default "static-keys" */
  credentials?: S3CredentialKind;
}

/** A stack spec's media input: its buckets at their endpoints, or all at one local endpoint (`s3`, the drill's). Undefined without `drkit:media`. */
export function mediaInput(spec: DrSpec, s3?: S3Substitute): MediaInput | undefined {
  const { media } = spec;
  const mediaClass = spec.storage.lifecycle.media;
  if (!media || !mediaClass) return undefined;
  const at = (address: S3Address): S3Address => (s3 ? { host: s3.host, port: s3.port, tls: true, uriStyle: "path", verifyTls: false } : address);
  const source = spec.role === "primary" ? undefined : media.restoreFrom;
  return {
    stack: spec.stack,
    role: spec.role,
    timeZone: spec.timeZone,
    media,
    restoreDeadline: spec.objectives.media?.rto ?? 4 * 3600,
    application: { bucket: media.bucket, region: media.region, prefix: "", address: at(s3Address(media.provider, media.region, media.endpoint)) },
    mirror: { bucket: spec.storage.bucket, region: spec.region, prefix: mediaClass.prefix, address: at(s3Address(spec.storage.provider, spec.region, spec.storage.endpoint)) },
    ...(source ? { source: { bucket: source.bucket, region: source.region, prefix: source.prefix, address: at(s3Address(source.provider, source.region, source.endpoint)) } } : {}),
    ...(spec.storage.copy ? { copy: { bucket: spec.storage.copy.bucket, region: spec.storage.copy.region, prefix: mediaClass.prefix, address: at(s3Address("s3-compatible", spec.storage.copy.region, spec.storage.copy.endpoint)) } } : {}),
    credentials: credentialKind(spec),
  };
}

const locationVariables = (name: "APP" | "MIRROR" | "SOURCE" | "COPY", location: MediaLocation | undefined) => ({
  [`${name}_URL`]: location ? addressUrl(location.address) : "",
  [`${name}_REGION`]: location?.region ?? "",
  [`${name}_PATH_STYLE`]: location ? String(location.address.uriStyle === "path") : "",
  [`${name}_BUCKET`]: location?.bucket ?? "",
  [`${name}_PREFIX`]: location?.prefix ?? "",
});

/** `media.sh mirror|restore`, rendered for one stack. */
export function renderMediaScript(input: MediaInput): string {
  const locations = [input.application, input.mirror, ...(input.source ? [input.source] : []), ...(input.copy ? [input.copy] : [])];
  return renderScript("media-mirror.sh", `stack '${input.stack}'`, {
    ...locationVariables("APP", input.application),
    ...locationVariables("MIRROR", input.mirror),
    ...locationVariables("SOURCE", input.source),
    ...locationVariables("COPY", input.copy),
    // rclone's certificate check is global: off when any of the stores is unverified.
    VERIFY_TLS: locations.every((l) => l.address.verifyTls) ? "yes" : "no",
    MAX_DELETE: input.media.maxDelete,
  });
}

/** Labels of the media jobs' pods. */
export const mediaLabels = (stack: string) => ({ "app.kubernetes.io/part-of": "drkit", "app.kubernetes.io/component": "media", "app.kubernetes.io/instance": `${stack}-media` });

// rclone holds the listing of both sides (--fast-list): about 1 KiB per object, a million in 1Gi.
const RESOURCES = { requests: { cpu: 100, memory: 256 * 2 ** 20 }, limits: { cpu: 1000, memory: 2 ** 30 } };

/**
 * The media mirror: a scheduled job that mirrors the application's media bucket into the backup
 * bucket's media prefix (rclone sync, removals bounded), and the copy's when the stack keeps one, and, in a dr or drill stack, a job at
 * deployment that copies the source's mirrored media into the application's new bucket first.
 */
export function mediaPlan(input: MediaInput): WorkloadPlan {
  const restoring = input.role !== "primary";
  if (restoring && !input.source) throw new Error(`a ${input.role} stack's media plan needs the mirrored media to copy back (drkit:media.restoreFrom)`);
  const keys = (identity: S3Identity): Record<string, SecretValue> => ({ ACCESS_KEY_ID: { kind: "s3Key", identity, part: "id" }, SECRET_ACCESS_KEY: { kind: "s3Key", identity, part: "secret" } });
  const remoteEnv = (remote: "APP" | "MIRROR" | "SOURCE" | "COPY", secret: string): [string, EnvSource][] => [
    [`RCLONE_CONFIG_${remote}_ACCESS_KEY_ID`, { secret, key: "ACCESS_KEY_ID" }],
    [`RCLONE_CONFIG_${remote}_SECRET_ACCESS_KEY`, { secret, key: "SECRET_ACCESS_KEY" }],
  ];
  const configMount: Mount = { volume: "config", path: PATH.mediaConfig, readOnly: true };
  const tmpMount: Mount = { volume: "tmp", path: PATH.tmp };
  const volumes: VolumePlan[] = [
    { name: "config", kind: "configMap", object: MEDIA_OBJECTS.config, mode: 0o444 },
    { name: "tmp", kind: "scratch", size: 256 * 2 ** 20 },
  ];
  const pod = (name: string, container: ContainerPlan): PodPlan => ({
    name,
    labels: mediaLabels(input.stack),
    annotations: {},
    security: { uid: UID.jobs, gid: UID.jobs, fsGroup: UID.jobs, fsGroupChangePolicy: "OnRootMismatch" },
    initContainers: [],
    containers: [container],
    volumes,
    restartPolicy: "Never",
    terminationGracePeriodSeconds: 30,
    objectStorage: true,
  });
  const container = (name: string, mode: "mirror" | "restore", env: [string, EnvSource][]): ContainerPlan => ({
    name,
    image: "jobs",
    command: ["bash", `${PATH.mediaConfig}/media.sh`, mode],
    // rclone keeps its cache in HOME; the root filesystem is read-only.
    env: [...env, ["HOME", { value: PATH.tmp }]],
    mounts: [configMount, tmpMount],
    ports: [],
    ...RESOURCES,
  });
  const jobs: JobPlan[] = [
    {
      name: MEDIA_OBJECTS.mirrorJob,
      schedule: input.media.schedule,
      timeZone: input.timeZone,
      ...mediaMirrorTiming(input.media.schedule, input.timeZone),
      backoffLimit: 2,
      pod: pod(MEDIA_OBJECTS.mirrorJob, container("mirror", "mirror", [
        ...remoteEnv("APP", MEDIA_OBJECTS.appCredentials),
        ...remoteEnv("MIRROR", MEDIA_OBJECTS.mirrorCredentials),
        ...(input.copy ? remoteEnv("COPY", MEDIA_OBJECTS.copyCredentials) : []),
      ])),
    },
    ...(restoring
      ? [
          {
            name: MEDIA_OBJECTS.restoreJob,
            timeZone: input.timeZone,
            startingDeadlineSeconds: 0,
            activeDeadlineSeconds: input.restoreDeadline,
            backoffLimit: 2,
            pod: pod(MEDIA_OBJECTS.restoreJob, container("restore", "restore", [...remoteEnv("SOURCE", MEDIA_OBJECTS.sourceCredentials), ...remoteEnv("APP", MEDIA_OBJECTS.appCredentials)])),
          },
        ]
      : []),
  ];
  return withCredentials(
    {
      configMaps: [{ name: MEDIA_OBJECTS.config, files: { "media.sh": renderMediaScript(input) } }],
      secrets: [
        { name: MEDIA_OBJECTS.appCredentials, data: keys("mediaApp") },
        { name: MEDIA_OBJECTS.mirrorCredentials, data: keys("media") },
        ...(restoring ? [{ name: MEDIA_OBJECTS.sourceCredentials, data: keys("mediaSource") }] : []),
        ...(input.copy ? [{ name: MEDIA_OBJECTS.copyCredentials, data: keys("mediaCopy") }] : []),
      ],
      servers: [],
      jobs,
    },
    input.credentials ?? "static-keys",
  );
}
