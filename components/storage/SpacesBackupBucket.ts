import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { StorageSpec } from "../config";
import type { S3Credentials } from "./BucketIdentity";
import { renderSpacesLifecycleRules } from "./lifecycle";

export interface SpacesBackupBucketArgs {
  /** The bucket's settings: `drkit:storage` parsed (name, lifecycle, access logs). */
  storage: StorageSpec;
  /** The Spaces region (`drkit:region`, e.g. `fra1`). */
  region: string;
  /** A drill's bucket: deleted with the stack, not protected, force-destroyed. @default false */
  disposable?: boolean;
}

/**
 * The DigitalOcean Spaces variant of the backup bucket: versioning, expiration rules per data
 * class and access logs. Spaces has no storage classes, Object Lock, bucket-default encryption,
 * replication or IAM policies; the spec refuses those options for `digitalocean` by name rather
 * than deploying a bucket without them.
 */
export class SpacesBackupBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly logBucketName: pulumi.Output<string | undefined>;

  constructor(name: string, args: SpacesBackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:SpacesBackupBucket", name, {}, opts);
    const { storage, region } = args;
    if (storage.provider !== "digitalocean") throw new Error(`SpacesBackupBucket is the Spaces bucket; drkit:storage.provider is '${storage.provider}'`);
    const disposable = args.disposable ?? false;
    const keep: pulumi.CustomResourceOptions = disposable ? {} : { protect: true, retainOnDelete: true };
    const bucket = new digitalocean.SpacesBucket(
      name,
      {
        name: storage.bucket,
        region,
        acl: "private",
        versioning: { enabled: true },
        lifecycleRules: renderSpacesLifecycleRules(storage),
        forceDestroy: disposable,
      },
      { parent: this, ...keep },
    );
    let logName: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (storage.accessLogs) {
      const logs = new digitalocean.SpacesBucket(
        `${name}-logs`,
        { name: `${storage.bucket}-logs`, region, acl: "private", forceDestroy: disposable, lifecycleRules: [{ id: "drkit-logs", enabled: true, expiration: { days: 365 } }] },
        { parent: this, ...keep },
      );
      new digitalocean.SpacesBucketLogging(`${name}-logging`, { bucket: bucket.name, region, targetBucket: logs.name, targetPrefix: `access/${storage.bucket}/` }, { parent: this });
      logName = logs.name;
    }
    this.bucketName = bucket.name;
    this.logBucketName = logName;
    this.registerOutputs({ bucketName: this.bucketName, logBucketName: this.logBucketName });
  }
}

export interface SpacesIdentityArgs {
  /** The bucket this key may use. */
  bucket: pulumi.Input<string>;
  /** `readwrite` or `read`. */
  access: "write" | "read";
}

/**
 * A Spaces access key granted one bucket. Spaces grants are per bucket, not per prefix: the
 * narrowest scope Spaces offers, one key per data path all the same so each can be revoked alone.
 */
export class SpacesIdentity extends pulumi.ComponentResource implements S3Credentials {
  public readonly accessKeyId: pulumi.Output<string>;
  public readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: SpacesIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:storage:SpacesIdentity", name, {}, opts);
    const key = new digitalocean.SpacesKey(
      `${name}-key`,
      { name: `drkit-${name}`, grants: [{ bucket: args.bucket, permission: args.access === "write" ? "readwrite" : "read" }] },
      { parent: this },
    );
    this.accessKeyId = key.accessKey;
    this.secretAccessKey = pulumi.secret(key.secretKey);
    this.registerOutputs({ accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey });
  }
}
