import type { S3Endpoint } from "../postgres/layout";
import { cloudEndpoint } from "../postgres/layout";
import type { SnapshotStore } from "../redis/layout";
import type { S3EndpointSpec, StorageProvider } from "../config";
import { s3Address } from "../storage/paths";
import { storeAt } from "../redis/layout";

/**
 * An S3 endpoint that stands in for every bucket of a plan: the local endpoint of `drkit drill`
 * and the integration tests (path-style, a self-signed certificate). The only substitution a
 * plan run locally makes.
 */
export interface S3Substitute {
  /** Host name the containers reach it by. */
  host: string;
  port: number;
}

/** A bucket's endpoint as pgBackRest reaches it. */
export function bucketEndpoint(provider: StorageProvider, bucket: string, region: string, endpoint: S3EndpointSpec | undefined, substitute?: S3Substitute): S3Endpoint {
  return substitute ? { bucket, region, host: substitute.host, port: substitute.port, uriStyle: "path", verifyTls: false } : cloudEndpoint(provider, bucket, region, endpoint);
}

/** A key prefix in a bucket as the aws CLI reaches it. */
export function bucketStore(provider: StorageProvider, bucket: string, region: string, endpoint: S3EndpointSpec | undefined, prefix: string, substitute?: S3Substitute): SnapshotStore {
  return substitute
    ? { bucket, region, prefix, endpointUrl: `https://${substitute.host}:${substitute.port}`, verifyTls: false }
    : storeAt({ bucket, region, prefix, endpoint: s3Address(provider, region, endpoint) });
}
