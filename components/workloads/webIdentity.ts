import type { DrSpec } from "../config";
import { PATH } from "./names";
import type { ContainerPlan, EnvSource, PodPlan, S3Identity, SecretPlan, WorkloadPlan } from "./plan";

/** How a plan's workloads authenticate to the object store. */
export type S3CredentialKind = "static-keys" | "web-identity";

/** What a stack spec chose (`drkit:cluster.workloadIdentity`): roles for `irsa`, keys otherwise. */
export const credentialKind = (spec: Pick<DrSpec, "cluster">): S3CredentialKind => (spec.cluster.workloadIdentity?.type === "irsa" ? "web-identity" : "static-keys");

/**
 * IAM roles for service accounts, as drkit projects them: a token of the pod's own
 * ServiceAccount for STS's audience, in a volume only the containers that reach the bucket mount.
 * drkit does not rely on EKS's mutating webhook (which would put the token and the role into
 * every container of the pod, and only on EKS): any cluster whose ServiceAccount issuer IAM
 * trusts runs the same pods.
 */
export const WEB_IDENTITY = {
  /** The audience IAM's OIDC provider accepts for AssumeRoleWithWebIdentity. */
  audience: "sts.amazonaws.com",
  volume: "aws-token",
  /** The token file: AWS_WEB_IDENTITY_TOKEN_FILE. */
  tokenFile: `${PATH.awsToken}/token`,
  /**
   * A day, EKS's own default: kubelet renews the file at 80 % of it. pgBackRest reads the file
   * when a command starts and renews its credentials with that token, so no job may outlive it.
   */
  expirationSeconds: 86_400,
} as const;

/** The variables the aws CLI and pgBackRest (`repo<n>-s3-key-type=web-id`) read. */
export const WEB_IDENTITY_ENV = { roleArn: "AWS_ROLE_ARN", tokenFile: "AWS_WEB_IDENTITY_TOKEN_FILE", sessionName: "AWS_ROLE_SESSION_NAME" } as const;

const PGBACKREST_KEY = /^PGBACKREST_REPO(\d+)_S3_KEY$/;

/** Identities that hold keys even where the workloads assume roles: the copy's store (`storage.copy`) and the application's media bucket are not drkit's to grant. */
export const ALWAYS_KEYED: ReadonlySet<S3Identity> = new Set<S3Identity>(["pgbackrestCopy", "dumpsCopy", "redisCopy", "mediaApp", "mediaCopy"]);

/**
 * The plan as it runs where workloads assume roles instead of holding keys: every S3 access key
 * leaves the Secrets; each pod whose containers used one gets its own ServiceAccount (named after
 * the pod) whose role grants exactly the identities those containers used; each such container
 * mounts the token and names the role, and pgBackRest's repositories switch to `web-id`. A
 * container that used no key gets neither token nor role, so credentials reach only the
 * containers that use them.
 */
export function withWebIdentity(plan: WorkloadPlan): WorkloadPlan {
  const s3KeyOf = (secret: string, key: string): S3Identity | undefined => {
    const value = plan.secrets.find((s) => s.name === secret)?.data[key];
    return value?.kind === "s3Key" ? value.identity : undefined;
  };

  const podWithRole = (pod: PodPlan): PodPlan => {
    const used = new Set<S3Identity>();
    const container = (c: ContainerPlan): ContainerPlan => {
      const env: [string, EnvSource][] = [];
      let keyed = false;
      for (const [name, source] of c.env) {
        const identity = "secret" in source ? s3KeyOf(source.secret, source.key) : undefined;
        if (!identity || ALWAYS_KEYED.has(identity)) {
          env.push([name, source]);
          continue;
        }
        keyed = true;
        used.add(identity);
        const repo = PGBACKREST_KEY.exec(name);
        if (repo) env.push([`PGBACKREST_REPO${repo[1]}_S3_KEY_TYPE`, { value: "web-id" }]);
      }
      if (!keyed) return c;
      return {
        ...c,
        env: [
          ...env,
          [WEB_IDENTITY_ENV.roleArn, { roleOf: pod.name }],
          [WEB_IDENTITY_ENV.tokenFile, { value: WEB_IDENTITY.tokenFile }],
          // CloudTrail then names the workload that made each request (the aws CLI reads it).
          [WEB_IDENTITY_ENV.sessionName, { value: `drkit-${pod.name}`.slice(0, 64) }],
        ],
        mounts: [...c.mounts, { volume: WEB_IDENTITY.volume, path: PATH.awsToken, readOnly: true }],
      };
    };
    const initContainers = pod.initContainers.map(container);
    const containers = pod.containers.map(container);
    if (used.size === 0) return pod;
    return {
      ...pod,
      initContainers,
      containers,
      volumes: [...pod.volumes, { name: WEB_IDENTITY.volume, kind: "serviceAccountToken", audience: WEB_IDENTITY.audience, expirationSeconds: WEB_IDENTITY.expirationSeconds }],
      serviceAccount: { name: pod.name, s3: [...used].sort() },
    };
  };

  const secrets: SecretPlan[] = plan.secrets
    .map((secret) => ({ ...secret, data: Object.fromEntries(Object.entries(secret.data).filter(([, value]) => value.kind !== "s3Key" || ALWAYS_KEYED.has(value.identity))) }))
    .filter((secret) => Object.keys(secret.data).length > 0);
  return {
    configMaps: plan.configMaps,
    secrets,
    servers: plan.servers.map((server) => ({ ...server, pod: podWithRole(server.pod) })),
    jobs: plan.jobs.map((job) => ({ ...job, pod: podWithRole(job.pod) })),
  };
}

/** Roles for service accounts: the cluster's OIDC provider, which IAM trusts to vouch for its ServiceAccounts. */
export interface WorkloadIdentityArgs {
  /** `drkit:cluster.workloadIdentity.oidcProviderArn`. */
  oidcProviderArn: string;
}

/** A stack spec's roles for service accounts (`drkit:cluster.workloadIdentity` irsa); none where it holds keys. */
export function workloadIdentityOf(spec: Pick<DrSpec, "cluster">): WorkloadIdentityArgs | undefined {
  const identity = spec.cluster.workloadIdentity;
  return identity?.type === "irsa" ? { oidcProviderArn: identity.oidcProviderArn } : undefined;
}

/** A plan with the credentials `kind` says: unchanged for static keys. */
export const withCredentials = (plan: WorkloadPlan, kind: S3CredentialKind): WorkloadPlan => (kind === "web-identity" ? withWebIdentity(plan) : plan);
