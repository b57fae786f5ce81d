import { PATH, PORT, SCHEDULER_OBJECTS } from "../workloads/names";
import type { JobPlan, WorkloadPlan } from "../workloads/plan";
import type { HostNames } from "./names";

/**
 * The series drkit-scheduler serves (images/jobs/drkit-scheduler), per job (label `job_name`) and
 * for the host's volumes: the alerts select on these names (the container test scrapes them).
 */
export const SCHEDULER_METRICS = {
  created: "drkit_job_created_timestamp_seconds",
  lastSchedule: "drkit_job_last_schedule_timestamp_seconds",
  lastSuccess: "drkit_job_last_successful_timestamp_seconds",
  failed: "drkit_job_failed",
  active: "drkit_job_active",
  volumesSize: "drkit_host_volumes_filesystem_size_bytes",
  volumesAvailable: "drkit_host_volumes_filesystem_avail_bytes",
} as const;

/**
 * One job as the scheduler (images/jobs/drkit-scheduler) reads it: the plan's schedule and
 * deadlines (a job without a schedule runs once, when the scheduler first starts), and instead of
 * its pod the engine's containers of one run, in the order they start.
 */
export type ScheduledJob = Omit<JobPlan, "pod"> & { containers: { name: string; kind: "prepare" | "init" | "container" }[] };

export interface SchedulerConfig {
  socket: string;
  stateDir: string;
  metricsPort: number;
  jobs: ScheduledJob[];
}

/** What the scheduler runs: each job's prepare step, init containers and containers by their engine names. */
export function schedulerConfig(jobs: JobPlan[], names: HostNames): SchedulerConfig {
  return {
    socket: PATH.engineSocket,
    stateDir: PATH.schedulerState,
    metricsPort: PORT.schedulerMetrics,
    jobs: jobs.map((job) => ({
      name: job.name,
      ...(job.schedule ? { schedule: job.schedule } : {}),
      timeZone: job.timeZone,
      startingDeadlineSeconds: job.startingDeadlineSeconds,
      activeDeadlineSeconds: job.activeDeadlineSeconds,
      backoffLimit: job.backoffLimit,
      containers: [
        { name: names.prepare(job.pod.name), kind: "prepare" as const },
        ...job.pod.initContainers.map((c) => ({ name: names.container(job.pod.name, c.name), kind: "init" as const })),
        ...job.pod.containers.map((c) => ({ name: names.container(job.pod.name, c.name), kind: "container" as const })),
      ],
    })),
  };
}

/**
 * The scheduler's own server: drkit's jobs image running drkit-scheduler with the engine's socket,
 * its configuration and a volume for its state (the jobs' last runs survive its restarts). It runs
 * as root without capabilities: the socket is root's, and it is the one thing the scheduler opens
 * that the workloads do not. Whoever holds the socket controls the host, which is why the
 * scheduler only starts, waits for and kills the containers its file names, and runs nothing else.
 */
export function schedulerPlan(jobs: JobPlan[], names: HostNames): WorkloadPlan {
  if (jobs.length === 0) return { configMaps: [], secrets: [], servers: [], jobs: [] };
  const config = schedulerConfig(jobs, names);
  return {
    configMaps: [{ name: SCHEDULER_OBJECTS.config, files: { "jobs.json": `${JSON.stringify(config, null, 2)}\n` } }],
    secrets: [],
    servers: [
      {
        pod: {
          name: SCHEDULER_OBJECTS.statefulSet,
          labels: { "app.kubernetes.io/name": "drkit-scheduler", "app.kubernetes.io/part-of": "drkit" },
          annotations: {},
          security: { uid: 0, gid: 0, fsGroup: 0, fsGroupChangePolicy: "OnRootMismatch" },
          initContainers: [],
          containers: [
            {
              name: "scheduler",
              image: "jobs",
              command: ["python3", "-u", "/usr/local/bin/drkit-scheduler", `${PATH.schedulerConfig}/jobs.json`],
              env: [],
              mounts: [
                { volume: "config", path: PATH.schedulerConfig, readOnly: true },
                { volume: "state", path: PATH.schedulerState },
                { volume: "engine", path: PATH.engineSocket },
              ],
              ports: [{ name: "metrics", port: PORT.schedulerMetrics }],
              requests: { cpu: 50, memory: 32 * 2 ** 20 },
              limits: { cpu: 500, memory: 128 * 2 ** 20 },
              readinessProbe: { http: { path: "/healthz", port: PORT.schedulerMetrics }, periodSeconds: 5 },
            },
          ],
          volumes: [
            { name: "config", kind: "configMap", object: SCHEDULER_OBJECTS.config, mode: 0o444 },
            { name: "state", kind: "data", size: 2 ** 26 },
            { name: "engine", kind: "engineSocket" },
          ],
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 10,
        },
        headlessService: SCHEDULER_OBJECTS.headless,
        services: [{ name: SCHEDULER_OBJECTS.client, headless: false, ports: [{ name: "metrics", port: PORT.schedulerMetrics }] }],
        retainData: true,
      },
    ],
    jobs: [],
  };
}
