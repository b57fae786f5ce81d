/**
 * The drkit Pulumi program: one stack = one region's disaster-recovery footprint, driven
 * entirely by its `drkit:*` configuration (Pulumi.<stack>.yaml).
 */
import { summarizeSpec } from "../components/spec";
import { loadSpec } from "./loadSpec";

const spec = loadSpec();

/** What this stack declares, with derived paths and schedules, in human units. */
export const drkit = summarizeSpec(spec);
