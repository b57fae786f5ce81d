/** drkit: disaster-recovery components for Pulumi. */
export * from "./config";
export * from "./storage";
export * from "./postgres";
export * from "./redis";
export * from "./alerts";
export * from "./backup";
export * from "./region";
/** The workload plan, its names, drkit's images and the Kubernetes mapping. */
export * as workloads from "./workloads";
