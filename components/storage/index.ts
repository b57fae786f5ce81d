export { BackupBucket, type BackupBucketArgs, type BucketAdmins } from "./BackupBucket";
export { BackupStorage, type BackupStorageArgs, type RestoreSourceLocation, type S3Access, type S3Location } from "./BackupStorage";
export { BucketIdentity, type BucketIdentityArgs, type S3Credentials } from "./BucketIdentity";
export { SpacesBackupBucket, SpacesIdentity, type SpacesBackupBucketArgs, type SpacesIdentityArgs } from "./SpacesBackupBucket";
export { renderLifecycleRules, renderSpacesLifecycleRules, type S3LifecycleRule, type SpacesLifecycleRule } from "./lifecycle";
export * from "./policies";
export { backupStorageArgs, bucketArn, dataPathPrefixes, s3Endpoint, type DataPath } from "./paths";
export { STORAGE_CLASS_FACTS, canTransition } from "./storageClasses";
