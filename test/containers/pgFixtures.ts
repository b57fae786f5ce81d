import { IRSA, specOf } from "../config/fixtures";

/** The bucket every local repository lives in. */
export const BUCKET = "drkit-it";

/** A primary whose repository is pgbackrest/prod in the local bucket; RPO 1 min -> archive_timeout 15 s. */
export function primarySpec(stack = "prod", overrides: Record<string, unknown> = {}) {
  return specOf(
    {
      role: "primary",
      region: "us-east-1",
      objectives: { postgres: { rpo: "1m", rto: "15m" } },
      storage: { bucket: BUCKET },
      images: { registry: "local" }, postgres: { databases: [{ name: "app" }], resources: { cpu: "2", memory: "512Mi" }, storage: { size: "8Gi" } },
      // The pods assume roles: every edge below runs through the local STS too.
      cluster: { workloadIdentity: IRSA },
      redis: { enabled: false },
      ...overrides,
    },
    stack,
  );
}

/** A drill restoring prod's repository from the same bucket, archiving to pgbackrest/<stack>. */
export function drillSpec(stack: string, restoreFrom: Record<string, unknown> = {}) {
  return specOf(
    {
      role: "drill",
      region: "us-east-1",
      objectives: { postgres: { rpo: "1m", rto: "15m" } },
      storage: { bucket: BUCKET },
      images: { registry: "local" },
      postgres: {
        databases: [{ name: "app" }],
        resources: { cpu: "2", memory: "512Mi" },
        storage: { size: "8Gi" },
        restoreFrom: { bucket: BUCKET, region: "us-east-1", repoPath: "pgbackrest/prod", stackReference: "local/drkit/prod", ...restoreFrom },
      },
      cluster: { workloadIdentity: IRSA },
      redis: { enabled: false },
    },
    stack,
  );
}
