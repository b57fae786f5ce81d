import { PATH, PORT, REDIS_ACL_KEY } from "../workloads/names";
import { addressUrl, type S3Address } from "../storage/paths";

/** Where Redis and its scripts find their files. A pod uses `containerLayout`; the drill local paths. */
export interface RedisLayout {
  /** Redis's `dir`: the volume (AOF directory, dump.rdb). */
  dataDir: string;
  /** Where redis.conf and the scripts are mounted. */
  configDir: string;
  /** The ACL file (from a Secret: it holds the password). */
  aclFile: string;
  /** Scratch space of the snapshot and restore steps (an emptyDir). */
  workDir: string;
  bind: string;
  port: number;
  /** Where the server's TLS pair and CA are mounted (used when `redis.tls` is on). */
  tlsDir: string;
}

export function redisContainerLayout(): RedisLayout {
  return { dataDir: PATH.redisData, configDir: PATH.redisConfig, aclFile: `${PATH.redisAclDir}/${REDIS_ACL_KEY}`, workDir: PATH.work, bind: "0.0.0.0", port: PORT.redis, tlsDir: PATH.redisTls };
}

/** An S3 location as the aws CLI reaches it. */
export interface SnapshotStore {
  bucket: string;
  region: string;
  /** https://host[:port] */
  endpointUrl: string;
  /** Verify the endpoint's certificate (off only for a self-signed endpoint). */
  verifyTls: boolean;
  /** Key prefix ending in `/`, e.g. `redis/prod/`. */
  prefix: string;
}

/**
 * A storage access's location as the aws CLI reaches it. The CLI addresses a bucket at an
 * explicit endpoint path-style (botocore's default there), which AWS, Spaces and every
 * S3-compatible store serve; `uriStyle` matters to pgBackRest and the Pulumi provider only.
 */
export function storeAt(location: { bucket: string; region: string; endpoint: S3Address; prefix: string }): SnapshotStore {
  const { endpoint } = location;
  return { bucket: location.bucket, region: location.region, endpointUrl: addressUrl(endpoint), verifyTls: endpoint.verifyTls, prefix: location.prefix };
}
