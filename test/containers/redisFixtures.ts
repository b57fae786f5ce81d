import { specOf } from "../config/fixtures";

export const REDIS_BUCKET = "drkit-redis-it";

/** A primary's Redis: snapshots under redis/prod/, keep 3. */
export function redisPrimarySpec(appendfsync: "always" | "everysec" | "no" = "everysec") {
  return specOf(
    {
      role: "primary",
      region: "us-east-1",
      objectives: { redis: { rpo: "5m", rto: "10m" } },
      storage: { bucket: REDIS_BUCKET },
      images: { registry: "local" },
      redis: { appendfsync, snapshots: { interval: "2m", keep: 3 }, resources: { memory: "512Mi" } },
      // Static keys, chosen as a DigitalOcean or Docker host stack would: the aws CLI's key path runs here.
      cluster: { workloadIdentity: { type: "static-keys" } },
    },
    "prod",
  );
}

/** A drill whose Redis holds a task queue: snapshots off, so it starts empty whatever the bucket holds. */
export function redisQueueDrillSpec(stack: string) {
  return specOf(
    {
      role: "drill",
      region: "us-east-1",
      storage: { bucket: REDIS_BUCKET },
      images: { registry: "local" }, postgres: { restoreFrom: { bucket: REDIS_BUCKET, region: "us-east-1", repoPath: "pgbackrest/prod", encrypted: false } },
      redis: { snapshots: { enabled: false }, resources: { memory: "512Mi" } },
      cluster: { workloadIdentity: { type: "static-keys" } },
    },
    stack,
  );
}

/** A drill filling its empty Redis from prod's snapshots. */
export function redisDrillSpec(stack: string, restoreFrom: Record<string, unknown> = {}) {
  return specOf(
    {
      role: "drill",
      region: "us-east-1",
      objectives: { redis: { rpo: "5m", rto: "10m" } },
      storage: { bucket: REDIS_BUCKET },
      images: { registry: "local" }, postgres: { restoreFrom: { bucket: REDIS_BUCKET, region: "us-east-1", repoPath: "pgbackrest/prod", encrypted: false } },
      redis: { snapshots: { interval: "2m" }, resources: { memory: "512Mi" }, restoreFrom: { prefix: "redis/prod/", ...restoreFrom } },
      cluster: { workloadIdentity: { type: "static-keys" } },
    },
    stack,
  );
}
