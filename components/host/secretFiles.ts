import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SHELL_DIR } from "../shell/render";
import type { ContainerPlan, PodPlan, Probe, SecretPlan, WorkloadPlan } from "../workloads/plan";

/** Where a container on a Docker host finds its secret variables, one file each. */
export const ENV_FILES_PATH = "/run/drkit-env";

/** The loader a container's command runs under (components/shell/with-env.sh, shellchecked). */
export const WITH_ENV = readFileSync(join(SHELL_DIR, "with-env.sh"), "utf8");

/** The Secret that holds one container's secret variables. */
export const envSecretName = (pod: string, container: string) => `${pod}-${container}-env`;

const wrap = (command: string[]) => ["bash", "-c", WITH_ENV, "with-env", ENV_FILES_PATH, ...command];

/**
 * The plan as a Docker host runs it: every variable a container reads from a Secret becomes a
 * file of a Secret of that container's own (`<pod>-<container>-env`), mounted read-only at
 * {@link ENV_FILES_PATH}, and the container's command (and its exec probes, which need the same
 * variables) runs under `with-env.sh`, which exports them. Kubernetes keeps secret variables out
 * of the pod spec by reference; a Docker container's configuration has no references, and what it
 * holds `docker inspect` shows, so on a host the values travel as files only.
 *
 * A pure transformation: the container runner runs its result as it runs any plan.
 */
export function withSecretFiles(plan: WorkloadPlan): WorkloadPlan {
  const secrets: SecretPlan[] = [...plan.secrets];
  const lookup = (pod: string, container: string, secret: string, key: string) => {
    const value = plan.secrets.find((s) => s.name === secret)?.data[key];
    if (!value) throw new Error(`container '${container}' of pod '${pod}' reads ${secret}/${key}, which the plan does not have`);
    return value;
  };
  const pod = (p: PodPlan): PodPlan => {
    const volumes = [...p.volumes];
    const container = (c: ContainerPlan): ContainerPlan => {
      const secret = c.env.flatMap(([variable, source]) => ("secret" in source ? [{ variable, value: lookup(p.name, c.name, source.secret, source.key), from: source.secret }] : []));
      if (secret.length === 0) return c;
      const name = envSecretName(p.name, c.name);
      secrets.push({ name, data: Object.fromEntries(secret.map((s) => [s.variable, s.value])), from: Object.fromEntries(secret.map((s) => [s.variable, s.from])) });
      const volume = `env-${c.name}`;
      volumes.push({ name: volume, kind: "secret", object: name, mode: 0o440 });
      const probe = (q: Probe | undefined) => (q?.exec ? { ...q, exec: wrap(q.exec) } : q);
      const startupProbe = probe(c.startupProbe);
      const readinessProbe = probe(c.readinessProbe);
      const livenessProbe = probe(c.livenessProbe);
      return {
        ...c,
        command: wrap(c.command),
        env: c.env.filter(([, source]) => !("secret" in source)),
        mounts: [...c.mounts, { volume, path: ENV_FILES_PATH, readOnly: true }],
        ...(startupProbe ? { startupProbe } : {}),
        ...(readinessProbe ? { readinessProbe } : {}),
        ...(livenessProbe ? { livenessProbe } : {}),
      };
    };
    const initContainers = p.initContainers.map(container);
    const containers = p.containers.map(container);
    return { ...p, initContainers, containers, volumes };
  };
  const servers = plan.servers.map((s) => ({ ...s, pod: pod(s.pod) }));
  const jobs = plan.jobs.map((j) => ({ ...j, pod: pod(j.pod) }));
  return { configMaps: plan.configMaps, secrets, servers, jobs };
}

/** Wraps a command to run with a container's secret variables, as `docker exec` needs it on a host. */
export function withEnvFiles(container: ContainerPlan, command: string[]): string[] {
  return container.mounts.some((m) => m.path === ENV_FILES_PATH) ? wrap(command) : command;
}
