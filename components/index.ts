/** drkit: disaster-recovery components for Pulumi. */
export * from "./spec";
export * from "./policy";
export * from "./storage";
export * from "./postgres";
export * from "./redis";
export * from "./alerts";
export * from "./backup";
