/**
 * `drkit/config`: the stack configuration without Pulumi. Parse a stack's `drkit:*` keys into a
 * fully defaulted `DrSpec`, review it with every rule `drkit review` runs, and format what it
 * finds. Nothing here loads a Pulumi package.
 */
export { checkConfig, reviewSpec, reviewWholeSpec } from "../config/review";
export { parseSpec, type ParseOptions, type ParseResult } from "../config/parse";
export { rawSpecFromConfig, readStackFile, StackFileError, type StackFile } from "../config/config";
export { errorsIn, formatProblems, sortProblems, type Problem } from "../config/problems";
export { ransomwarePosture, summarizeSpec } from "../config/summary";
export { formatCpu, formatDuration, formatPercent, formatSize, parseCpu, parseDuration, parsePercent, parseSize } from "../config/units";
export type * from "../config/types";
