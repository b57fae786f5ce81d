import type * as pulumi from "@pulumi/pulumi";
import { mergePlans, type SecretValue, type WorkloadPlan } from "../workloads/plan";

/** How a store's component makes the values of its plan's secrets (random passwords, certificates, keys). */
export type SecretMaker = (value: SecretValue) => pulumi.Input<string>;

/**
 * Where a docker stack's components put their plans instead of making Kubernetes objects: each
 * store's component adds its plan with the maker of its secrets, and `DockerHost` maps the whole
 * stack's plan onto one host. A secret is made by the component whose plan declares its Secret,
 * as on Kubernetes the component that creates a Secret fills it and other pods only mount it.
 */
export class HostPlacement {
  private readonly plans: WorkloadPlan[] = [];
  private readonly makers = new Map<string, SecretMaker>();

  /** A component's plan and the maker of its Secrets' values. */
  add(owner: string, plan: WorkloadPlan, maker: SecretMaker): void {
    for (const secret of plan.secrets) {
      if (this.makers.has(secret.name)) throw new Error(`${owner}: Secret '${secret.name}' is already another component's on this host`);
      this.makers.set(secret.name, maker);
    }
    this.plans.push(plan);
  }

  /** Every component's plan, merged. */
  plan(): WorkloadPlan {
    return mergePlans(...this.plans);
  }

  /** The value of a key of Secret `object`, made by the component that declared the Secret. */
  readonly secretValue = (object: string, value: SecretValue): pulumi.Input<string> => {
    const maker = this.makers.get(object);
    if (!maker) throw new Error(`no component on this host declares Secret '${object}'`);
    return maker(value);
  };
}
