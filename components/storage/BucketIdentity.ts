import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dataPathPolicy } from "./policies";

/** Static S3 credentials for a workload (pgBackRest, a CronJob). The secret is a Pulumi secret. */
export interface S3Credentials {
  accessKeyId: pulumi.Output<string>;
  secretAccessKey: pulumi.Output<string>;
}

/** What an identity may do in one bucket: the scope of a key's user or a workload's role. */
export interface S3Grant {
  /** ARN of the bucket this identity works in. */
  bucketArn: pulumi.Input<string>;
  /** Key prefixes it may use, each ending in `/`. */
  prefixes: string[];
  /** `write` (put/get/list/delete-marker) or `read` (get/list). */
  access: "write" | "read";
  /** The bucket's KMS key. @default any key, used through S3 in `region` for this bucket only (another stack's bucket) */
  kmsKeyArn?: pulumi.Input<string>;
  /** The bucket's region. */
  region: string;
}

export type BucketIdentityArgs = S3Grant;

/**
 * An IAM user with one inline policy scoped to some prefixes of one bucket, and an access key.
 * Static keys because pgBackRest, redis snapshot jobs and pg_dump jobs run anywhere (any
 * Kubernetes, not only EKS with IRSA); the key is a Pulumi secret and reaches pods only
 * through Kubernetes Secrets.
 */
export class BucketIdentity extends pulumi.ComponentResource implements S3Credentials {
  public readonly accessKeyId: pulumi.Output<string>;
  public readonly secretAccessKey: pulumi.Output<string>;
  /** The IAM user's name, for audits. */
  public readonly userName: pulumi.Output<string>;

  constructor(name: string, args: BucketIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:BucketIdentity", name, {}, opts);
    const user = new aws.iam.User(`${name}-user`, { path: "/drkit/" }, { parent: this });
    new aws.iam.UserPolicy(
      `${name}-policy`,
      {
        user: user.name,
        policy: pulumi
          .all([args.bucketArn, args.kmsKeyArn])
          .apply(([bucketArn, kmsKeyArn]) =>
            JSON.stringify(dataPathPolicy({ bucketArn, prefixes: args.prefixes, access: args.access, region: args.region, ...(kmsKeyArn ? { kmsKeyArn } : {}) })),
          ),
      },
      { parent: this },
    );
    const key = new aws.iam.AccessKey(`${name}-key`, { user: user.name }, { parent: this });
    this.accessKeyId = key.id;
    this.secretAccessKey = pulumi.secret(key.secret);
    this.userName = user.name;
    this.registerOutputs({ accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey, userName: this.userName });
  }
}
