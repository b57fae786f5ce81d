export * from "./types";
export * from "./units";
export * from "./problems";
export { parseCron, longestGap, longestCombinedGap, cronForInterval, isTimeZone } from "./cron";
export { replayBudget, REPLAY_SPEEDUP, defaultIncrementalSchedule, RESTORE_FLOOR, RESTORE_OVERHEAD, DEFAULT_RESTORE_THROUGHPUT, restoreSeconds } from "./replay";
export { parseSpec, type ParseOptions, type ParseResult } from "./parse";
export { RULES as SPEC_RULES, crossFieldProblems } from "./rules";
export { rawSpecFromConfig, readStackFile, SECRET_PLACEHOLDER, StackFileError, type StackFile } from "./config";
export { summarizeSpec } from "./summary";
