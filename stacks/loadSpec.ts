import * as pulumi from "@pulumi/pulumi";
import { checkConfig } from "../components/config";
import { formatProblems, rawSpecFromConfig, type DrSpec } from "../components/config";

/**
 * Reads this stack's `drkit:*` configuration and returns the parsed spec. A configuration with
 * errors stops the program with every problem listed, as a RunError (which the Pulumi CLI shows
 * without a stack trace). Warnings are logged and the program goes on.
 */
export function loadSpec(): DrSpec {
  const result = checkConfig(rawSpecFromConfig(pulumi.runtime.allConfig()), { stack: pulumi.getStack() });
  if (!result.ok) {
    throw new pulumi.RunError(
      `drkit: the configuration of stack '${pulumi.getStack()}' has problems:\n${formatProblems(result.problems)}`,
    );
  }
  for (const problem of result.warnings) {
    pulumi.log.warn(`${problem.path} ${problem.message}${problem.hint ? ` (fix: ${problem.hint})` : ""}`);
  }
  return result.spec;
}
