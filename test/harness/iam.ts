import type { PolicyDocument, PolicyStatement } from "../../components/storage";

/**
 * A small IAM policy evaluator for tests: enough of AWS's evaluation logic to check that the
 * documents drkit renders allow what they claim and deny what they claim. An explicit Deny in
 * any policy wins. Within one account, an Allow in an identity policy, or a resource policy
 * naming the principal itself, allows. Across accounts (the resource's account given and not the
 * principal's) both must allow: the caller's identity policy and the resource policy, naming the
 * principal or its account's root. A service principal (no account) is allowed by the resource
 * policy alone. A KMS key's policy must always allow (`evaluateKey`): naming
 * the principal, or its account's root when an identity policy allows too. Otherwise the request
 * is implicitly denied.
 */
export interface IamRequest {
  /** Role or user ARN of the caller (or the service name for service principals). */
  principal: string;
  action: string;
  resource: string;
  /** Condition keys; `aws:PrincipalArn` and `aws:SecureTransport=true` are filled in. */
  context?: Record<string, string>;
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

export interface Policies {
  identity?: PolicyDocument[];
  resource?: PolicyDocument;
  /** The account owning the resource. @default the principal's (no cross-account rules) */
  resourceAccount?: string;
}

export function evaluate(request: IamRequest, policies: Policies): Decision {
  return decide(request, policies, false);
}

/** A request against a KMS key, judged by its key policy (which must allow) and the caller's identity policies. */
export function evaluateKey(request: IamRequest, policies: { identity?: PolicyDocument[]; keyPolicy: PolicyDocument; keyAccount: string }): Decision {
  return decide(request, { ...(policies.identity ? { identity: policies.identity } : {}), resource: policies.keyPolicy, resourceAccount: policies.keyAccount }, true);
}

function decide(request: IamRequest, policies: Policies, resourcePolicyRequired: boolean): Decision {
  const context = { "aws:PrincipalArn": request.principal, "aws:SecureTransport": "true", ...request.context };
  const identity = (policies.identity ?? []).flatMap((doc) => doc.Statement).filter((s) => applies(s, request, context));
  const resource = (policies.resource?.Statement ?? []).filter((s) => applies(s, request, context));
  const resourceMatches = resource.map((s) => ({ s, match: principalMatch(s.Principal, request.principal) })).filter(({ match }) => match !== "none");
  if ([...identity, ...resourceMatches.map(({ s }) => s)].some((s) => s.Effect === "Deny")) return "explicit-deny";
  const identityAllows = identity.some((s) => s.Effect === "Allow");
  const allows = resourceMatches.filter(({ s }) => s.Effect === "Allow");
  const direct = allows.some(({ match }) => match === "principal");
  const delegated = allows.some(({ match }) => match === "account");
  const callerAccount = accountOfPrincipal(request.principal);
  const crossAccount = policies.resourceAccount !== undefined && callerAccount !== policies.resourceAccount;
  let allowed: boolean;
  // A service (S3 publishing events, log delivery) has no identity policy: the resource's decides.
  if (/\.amazonaws\.com$/.test(request.principal)) allowed = direct;
  else if (crossAccount) allowed = identityAllows && (direct || delegated);
  else if (resourcePolicyRequired) allowed = direct || (delegated && identityAllows);
  else allowed = identityAllows || direct;
  return allowed ? "allow" : "implicit-deny";
}

/** The account in a principal's ARN (`arn:aws:iam::123:role/x`, `arn:aws:sts::123:assumed-role/...`); none for a service. */
function accountOfPrincipal(principal: string): string | undefined {
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const regex = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, caseInsensitive ? "i" : "");
  return regex.test(value);
}

function applies(statement: PolicyStatement, request: IamRequest, context: Record<string, string>): boolean {
  if (!list(statement.Action).some((a) => wildcard(a, request.action, true))) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, context[key], list(expected))),
  );
}

/**
 * How a resource policy's Principal names the caller: itself (or `*`, or its service), its
 * account's root (which delegates to that account's IAM), or not at all.
 */
function principalMatch(principal: PolicyStatement["Principal"], caller: string): "principal" | "account" | "none" {
  if (principal === undefined) return "none";
  if (principal === "*") return "principal";
  const named = [...list(principal.AWS), ...list(principal.Service)];
  if (named.includes(caller)) return "principal";
  const account = accountOfPrincipal(caller);
  if (account !== undefined && named.includes(`arn:aws:iam::${account}:root`)) return "account";
  return "none";
}

function conditionHolds(operator: string, actual: string | undefined, expected: string[]): boolean {
  const negated = operator.includes("Not");
  // A negated operator matches a request that lacks the key; a positive one does not.
  if (actual === undefined) return negated;
  const match = (e: string) => {
    switch (operator.replace("Not", "")) {
      case "StringEquals":
      case "ArnEquals":
      case "Bool":
        return actual === e;
      case "StringLike":
      case "ArnLike":
        return wildcard(e, actual);
      default:
        throw new Error(`the test evaluator does not know condition operator ${operator}`);
    }
  };
  const any = expected.some(match);
  return negated ? !any : any;
}
