import type { PolicyDocument, PolicyStatement } from "../../components/storage";

/**
 * A small IAM policy evaluator for tests: enough of AWS's evaluation logic to check that the
 * documents drkit renders allow what they claim and deny what they claim. An explicit Deny in
 * any policy wins; otherwise an Allow in an identity policy or the resource policy allows;
 * otherwise the request is implicitly denied.
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

export function evaluate(request: IamRequest, policies: { identity?: PolicyDocument[]; resource?: PolicyDocument }): Decision {
  const context = { "aws:PrincipalArn": request.principal, "aws:SecureTransport": "true", ...request.context };
  const statements = [
    ...(policies.identity ?? []).flatMap((doc) => doc.Statement.map((s) => ({ s, resourcePolicy: false }))),
    ...(policies.resource?.Statement ?? []).map((s) => ({ s, resourcePolicy: true })),
  ];
  const applicable = statements.filter(({ s, resourcePolicy }) => applies(s, request, context, resourcePolicy));
  if (applicable.some(({ s }) => s.Effect === "Deny")) return "explicit-deny";
  if (applicable.some(({ s }) => s.Effect === "Allow")) return "allow";
  return "implicit-deny";
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const regex = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, caseInsensitive ? "i" : "");
  return regex.test(value);
}

function applies(statement: PolicyStatement, request: IamRequest, context: Record<string, string>, resourcePolicy: boolean): boolean {
  if (!list(statement.Action).some((a) => wildcard(a, request.action, true))) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource))) return false;
  if (resourcePolicy && !principalMatches(statement.Principal, request.principal)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, context[key], list(expected))),
  );
}

function principalMatches(principal: PolicyStatement["Principal"], caller: string): boolean {
  if (principal === undefined) return false;
  if (principal === "*") return true;
  return [...list(principal.AWS), ...list(principal.Service)].some((p) => p === caller);
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
