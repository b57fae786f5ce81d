/** drkit: disaster-recovery components for Pulumi. */
export * from "./spec";
