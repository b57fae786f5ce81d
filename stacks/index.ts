/**
 * The drkit Pulumi program: one stack = one region's disaster-recovery footprint, driven
 * entirely by its `drkit:*` configuration (Pulumi.<stack>.yaml).
 */
import { summarizeSpec } from "../components/spec";
import { BackupStorage } from "../components/storage";
import { loadSpec } from "./loadSpec";
import { cloudProviders } from "./providers";

const spec = loadSpec();
const providers = cloudProviders(spec);

const storage = new BackupStorage("backups", { spec }, { providers });

/** What this stack declares, with derived paths and schedules, in human units. */
export const drkit = summarizeSpec(spec);

/** The backup bucket, its replica, and the (non-secret) key ids of the data-path identities. */
export const backups = {
  bucket: storage.bucketName,
  replicaBucket: storage.replicaBucketName,
  writerKeyIds: Object.fromEntries(Object.entries(storage.writers).map(([path, access]) => [path, access.credentials.accessKeyId])),
  restoreKeyIds: Object.fromEntries(Object.entries(storage.restore).map(([store, access]) => [store, access.credentials.accessKeyId])),
};
