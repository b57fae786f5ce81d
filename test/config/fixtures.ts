import { parseSpec, type DrSpec, type Problem } from "../../components/config";

/** An EKS cluster's IAM OIDC provider: the workloads assume roles, no access key exists. */
export const IRSA = { type: "irsa", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7" };

/** The smallest valid primary: everything else defaulted. */
export const minimalPrimary = () => ({
  role: "primary",
  region: "eu-central-1",
  storage: { bucket: "acme-dr-prod" },
  images: { registry: "ghcr.io/acme" },
  cluster: { workloadIdentity: IRSA },
});

/** The smallest valid drill: restores acme's prod repository from the replica bucket. */
export const minimalDrill = () => ({
  role: "drill",
  region: "eu-west-1",
  storage: { bucket: "acme-dr-drill" },
  images: { registry: "ghcr.io/acme" },
  cluster: { workloadIdentity: IRSA },
  postgres: {
    restoreFrom: { bucket: "acme-dr-prod-replica", region: "eu-west-1", repoPath: "pgbackrest/prod", stackReference: "acme/drkit/prod" },
  },
  redis: { restoreFrom: { prefix: "redis/prod/" } },
});

type Raw = Record<string, any>;

/** A deep merge of `patch` into `base` (objects merge, anything else replaces; undefined deletes). */
export function merge(base: Raw, patch: Raw): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else if (value && typeof value === "object" && !Array.isArray(value) && base[key] && typeof base[key] === "object" && !Array.isArray(base[key])) {
      out[key] = merge(base[key], value);
    } else out[key] = value;
  }
  return out;
}

export function specOf(raw: unknown, stack = "test"): DrSpec {
  const result = parseSpec(raw, { stack });
  if (!result.ok) throw new Error(`expected a valid spec, got:\n${JSON.stringify(result.problems, null, 2)}`);
  return result.spec;
}

export function problemsOf(raw: unknown, stack = "test"): Problem[] {
  const result = parseSpec(raw, { stack });
  return result.ok ? result.warnings : result.problems;
}

export const paths = (problems: Problem[], severity: Problem["severity"] = "error") =>
  problems.filter((p) => p.severity === severity).map((p) => p.path);
