import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CompatibleStorageEndpoint } from "../config";
import type { S3Credentials } from "./BucketIdentity";
import type { S3LifecycleRule } from "./lifecycle";

export interface CompatibleBucketArgs {
  /** The bucket's name. */
  bucket: string;
  /** The region the store signs requests for (MinIO's default is `us-east-1`). */
  region: string;
  /** The store's S3 API and what it can do (`drkit:storage.endpoint`, `drkit:storage.copy.endpoint`). */
  endpoint: CompatibleStorageEndpoint;
  /** The key pair `pulumi up` creates and configures the bucket with: the one the workloads use. */
  credentials: S3Credentials;
  /** Lifecycle rules, applied when the store runs them (`endpoint.lifecycle`). @default none */
  lifecycleRules?: S3LifecycleRule[];
  /** A drill's bucket: deleted with the stack, not protected, emptied on destroy. @default false */
  disposable?: boolean;
}

/**
 * A bucket at an S3-compatible endpoint (MinIO, Ceph RGW, Cloudflare R2, Backblaze B2, Wasabi),
 * managed with the AWS provider pointed at that endpoint: the bucket, versioning where the store
 * keeps versions, lifecycle rules where it runs them. Nothing else is sent: what such a store
 * does not implement the review refuses by name (`storage.endpoint.versioning`, `.lifecycle`),
 * so a `pulumi up` never half-applies a setting.
 */
export class CompatibleBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: CompatibleBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:CompatibleBucket", name, {}, opts);
    const { endpoint, region } = args;
    const disposable = args.disposable ?? false;
    // The provider of this one store: its endpoint, its key pair, and none of the AWS account
    // lookups (STS, IAM, EC2 metadata) such a store does not serve.
    const provider = new aws.Provider(
      `${name}-provider`,
      {
        region,
        accessKey: args.credentials.accessKeyId,
        secretKey: args.credentials.secretAccessKey,
        endpoints: [{ s3: endpoint.url }],
        s3UsePathStyle: endpoint.pathStyle,
        insecure: !endpoint.verifyTls,
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
        skipRegionValidation: true,
      },
      { parent: this },
    );
    const options: pulumi.CustomResourceOptions = { parent: this, provider };
    const keep: pulumi.CustomResourceOptions = disposable ? {} : { protect: true, retainOnDelete: true };
    const bucket = new aws.s3.Bucket(name, { bucket: args.bucket, forceDestroy: disposable }, { ...options, ...keep });
    const versioning = endpoint.versioning
      ? new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, options)
      : undefined;
    const rules = args.lifecycleRules ?? [];
    if (endpoint.lifecycle && rules.length > 0) {
      // Noncurrent-version rules mean something only once versioning is on.
      new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: bucket.id, rules }, { ...options, ...(versioning ? { dependsOn: [versioning] } : {}) });
    }
    this.bucketName = bucket.bucket;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
