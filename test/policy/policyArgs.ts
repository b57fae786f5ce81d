import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { RenderedStack } from "../harness/renderStack";

/** One reported violation: which policy, about which resource, saying what. */
export interface Violation {
  policy: string;
  level: string;
  urn?: string;
  /** The logical name of the resource the violation is about. */
  name?: string;
  message: string;
}

/**
 * What the policy analyzer hands policies, built from a preview under the mocks: a custom
 * resource's props are its inputs (the mocks echo them as outputs), a component's props are the
 * outputs it registered, and property dependencies link to the resources they name.
 */
export function policyResources(stack: RenderedStack): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = stack.resources.map((r) => {
    const resource = {
      type: r.type,
      props: r.custom ? r.inputs : r.outputs,
      urn: r.urn,
      name: r.name,
      opts: { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
      dependencies: [] as PolicyResource[],
      propertyDependencies: {} as Record<string, PolicyResource[]>,
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byUrn.set(r.urn, resource);
    return resource;
  });
  for (const [i, r] of stack.resources.entries()) {
    const resource = resources[i]!;
    resource.dependencies = r.dependsOn.flatMap((urn) => byUrn.get(urn) ?? []);
    resource.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([key, urns]) => [key, urns.flatMap((urn) => byUrn.get(urn) ?? [])]));
    if (r.parent) resource.parent = byUrn.get(r.parent);
    // The explicit provider, as the analyzer gives it: its type, name, URN and properties.
    const provider = r.provider ? stack.resources.find((p) => `${p.urn}::${String(p.outputs["id"] ?? "")}` === r.provider || r.provider!.startsWith(`${p.urn}::`)) : undefined;
    if (provider) resource.provider = { type: provider.type, props: provider.inputs, urn: provider.urn, name: provider.name };
  }
  return resources;
}

/** Runs every policy the way `pulumi preview --policy-pack` does: each resource, then the stack. */
export async function runPolicies(policies: (ResourceValidationPolicy | StackValidationPolicy)[], resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const names = new Map(resources.map((r) => [r.urn, r.name]));
  for (const policy of policies) {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([key, schema]) => [key, (schema as { default?: unknown }).default]));
    const common = {
      stackTags: new Map<string, string>(),
      getConfig: <T>() => ({ ...defaults, ...config }) as T,
      notApplicable: (reason?: string): never => {
        throw new Error(`not applicable: ${reason}`);
      },
    };
    const level = policy.enforcementLevel ?? "advisory";
    if ("validateResource" in policy && policy.validateResource) {
      const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      for (const resource of resources) {
        for (const validate of validations) {
          await validate({ ...resource, ...common } as unknown as ResourceValidationArgs, (message, urn) => violations.push({ policy: policy.name, level, urn: urn ?? resource.urn, name: names.get(urn ?? resource.urn), message }));
        }
      }
    }
    if ("validateStack" in policy && policy.validateStack) {
      await policy.validateStack({ resources, ...common }, (message, urn) => violations.push({ policy: policy.name, level, ...(urn ? { urn, name: names.get(urn) } : {}), message }));
    }
  }
  return violations;
}
