/**
 * drkit's policy pack: `pulumi preview --policy-pack <path to drkit>/policypack` runs drkit's
 * checks on every resource of any Pulumi program (see policies.ts). Constructing the pack starts
 * the policy analyzer the Pulumi engine talks to, so this file is the entry point only.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("drkit", {
  description: "Disaster-recovery checks: backup buckets, their lifecycle and locks, and drkit's objectives against its mechanisms.",
  policies: POLICIES,
});
