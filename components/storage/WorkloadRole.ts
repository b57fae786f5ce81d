import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { S3Identity, SecretValue, WorkloadPlan } from "../workloads/plan";
import { WEB_IDENTITY, type WorkloadIdentityArgs } from "../workloads/webIdentity";
import type { S3Access } from "./BackupStorage";
import type { S3Grant } from "./BucketIdentity";
import { dataPathsPolicy, webIdentityTrustPolicy } from "./policies";

export interface WorkloadRoleArgs {
  /** The IAM OIDC provider of the cluster's ServiceAccount issuer (`drkit:cluster.workloadIdentity.oidcProviderArn`). */
  oidcProviderArn: string;
  /** The namespace the ServiceAccount is in. */
  namespace: pulumi.Input<string>;
  /** The ServiceAccount whose pods alone may assume the role. */
  serviceAccount: string;
  /** What the role may do, by data path name (the S3 identities the pod's containers use). */
  grants: Record<string, S3Grant>;
}

/**
 * An IAM role for one ServiceAccount (IRSA): assumable only with that ServiceAccount's token for
 * STS's audience, allowed only the data paths its pod uses. Credentials last an hour and are
 * renewed by the clients from the projected token; there is no key to steal or rotate.
 */
export class WorkloadRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: WorkloadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:WorkloadRole", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        path: "/drkit/",
        // Named after the ServiceAccount for audits; IAM's 64 characters leave 38 for the prefix.
        namePrefix: `${args.serviceAccount.slice(0, 37)}-`,
        description: pulumi.interpolate`drkit: ServiceAccount ${args.namespace}/${args.serviceAccount}`,
        assumeRolePolicy: pulumi
          .output(args.namespace)
          .apply((namespace) => JSON.stringify(webIdentityTrustPolicy({ oidcProviderArn: args.oidcProviderArn, namespace, serviceAccount: args.serviceAccount, audience: WEB_IDENTITY.audience }))),
        maxSessionDuration: 3600,
      },
      { parent: this },
    );
    const entries = Object.entries(args.grants);
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all(entries.map(([, grant]) => pulumi.all([grant.bucketArn, grant.kmsKeyArn])))
          .apply((resolved) =>
            JSON.stringify(
              dataPathsPolicy(
                entries.map(([dataPath, grant], i) => {
                  const [bucketArn, kmsKeyArn] = resolved[i]!;
                  return { name: dataPath, grant: { bucketArn, prefixes: grant.prefixes, access: grant.access, region: grant.region, ...(kmsKeyArn ? { kmsKeyArn } : {}) } };
                }),
              ),
            ),
          ),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}

/** How a component's plan reaches the bucket: the keys its Secrets hold, or the roles its pods assume. */
export interface PlanAccess {
  /** The value of an `s3Key` secret (static keys). */
  s3Key(value: Extract<SecretValue, { kind: "s3Key" }>): pulumi.Input<string>;
  /** The ARN of the role a ServiceAccount's pods assume (web identity). */
  roleArn(serviceAccount: string): pulumi.Input<string>;
  /** Every role made, by ServiceAccount. */
  roleArns: Record<string, pulumi.Output<string>>;
}

/**
 * The credentials of a component's plan: for every pod that assumes a role, a `WorkloadRole`
 * granting exactly the S3 identities its containers use; for keys, the access's static key.
 */
export function planAccess(
  owner: string,
  plan: WorkloadPlan,
  args: { accesses: Partial<Record<S3Identity, S3Access>>; namespace: pulumi.Input<string>; workloadIdentity?: WorkloadIdentityArgs },
  parent: pulumi.Resource,
): PlanAccess {
  const accessOf = (identity: S3Identity): S3Access => {
    const access = args.accesses[identity];
    if (!access) throw new Error(`${owner} has no S3 identity '${identity}'`);
    return access;
  };
  const roles = new Map<string, pulumi.Output<string>>();
  for (const pod of [...plan.servers.map((s) => s.pod), ...plan.jobs.map((j) => j.pod)]) {
    const account = pod.serviceAccount;
    if (!account) continue;
    if (!args.workloadIdentity) throw new Error(`${owner}: pod ${pod.name} assumes a role, and no workloadIdentity (the cluster's OIDC provider) was given`);
    const grants = Object.fromEntries(
      account.s3.map((identity) => {
        const grant = accessOf(identity).grant;
        if (!grant) throw new Error(`${owner}: S3 identity '${identity}' has no IAM grant (is it on Spaces?); its pods cannot assume a role for it`);
        return [identity, grant];
      }),
    );
    const role = new WorkloadRole(`${account.name}-identity`, { oidcProviderArn: args.workloadIdentity.oidcProviderArn, namespace: args.namespace, serviceAccount: account.name, grants }, { parent });
    roles.set(account.name, role.roleArn);
  }
  return {
    roleArns: Object.fromEntries(roles),
    s3Key(value) {
      const credentials = accessOf(value.identity).credentials;
      if (!credentials) throw new Error(`${owner}: S3 identity '${value.identity}' has no key (its workloads assume roles)`);
      return value.part === "id" ? credentials.accessKeyId : credentials.secretAccessKey;
    },
    roleArn(serviceAccount) {
      const arn = roles.get(serviceAccount);
      if (!arn) throw new Error(`${owner}: no role was made for ServiceAccount '${serviceAccount}'`);
      return arn;
    },
  };
}
