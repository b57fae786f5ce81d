/**
 * The engine's names of what a Docker host runs for a stack, all under the stack's project
 * (`drkit:host.project`, `drkit-<stack>` by default), so that two stacks share a host without
 * sharing a name, and `docker ps --filter name=<project>-` shows one stack.
 */
export const hostNames = (project: string) => ({
  network: project,
  /** A pod's sandbox, which holds its network namespace and its names on the network. */
  sandbox: (pod: string) => `${project}-${pod}`,
  /** The root helper that writes a pod's files and gives its volumes their group, before anything else of it runs. */
  prepare: (pod: string) => `${project}-${pod}-prepare`,
  container: (pod: string, container: string) => `${project}-${pod}-${container}`,
  volume: (pod: string, volume: string) => `${project}-${pod}-${volume}`,
});

export type HostNames = ReturnType<typeof hostNames>;

/** Labels on everything a stack puts on its host. */
export const hostLabels = (stack: string, project: string) => ({ "dev.drkit.stack": stack, "dev.drkit.project": project });
