import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureLocalImages } from "../../cli/containers/images";
import { PlanRunner } from "../../cli/containers/runner";
import type { WorkloadPlan } from "../../components/workloads/plan";
import { stackSpec } from "./harness";

// Containers: images may be built first.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 900_000 });

/**
 * The runner gives a pod what a kubelet gives it: projected files with their modes, fsGroup on
 * every volume (group, group read/write, setgid directories), the pod's user and groups, a
 * read-only root, environment from literals, Secrets and ConfigMaps, init containers first.
 */

const spec = stackSpec("prod");
const plan: WorkloadPlan = {
  configMaps: [{ name: "files", files: { "run.sh": "echo from-config", greeting: "hello" } }],
  secrets: [{ name: "creds", data: { token: { kind: "password", id: "token" } } }],
  servers: [],
  jobs: [
    {
      name: "probe",
      timeZone: "UTC",
      startingDeadlineSeconds: 0,
      activeDeadlineSeconds: 120,
      backoffLimit: 0,
      pod: {
        name: "probe",
        labels: {},
        annotations: {},
        security: { uid: 999, gid: 999, fsGroup: 999, fsGroupChangePolicy: "Always" },
        initContainers: [
          {
            name: "first",
            image: "jobs",
            command: ["bash", "-c", "mkdir -m 700 /work/private && echo init >/work/private/marker"],
            env: [],
            mounts: [{ volume: "work", path: "/work" }],
            ports: [],
            requests: { cpu: 100, memory: 64 * 2 ** 20 },
            limits: { cpu: 500, memory: 128 * 2 ** 20 },
          },
        ],
        containers: [
          {
            name: "main",
            image: "jobs",
            command: [
              "bash",
              "-c",
              'stat -c "%n %a %U:%G" /etc/files/run.sh /etc/creds/token /work /work/private; id -u; id -G; echo "$GREETING $TOKEN_LENGTH ${#TOKEN}"; cat /work/private/marker; touch /probe 2>/dev/null && echo root-writable || echo root-read-only; bash /etc/files/run.sh',
            ],
            env: [
              ["GREETING", { configMap: "files", key: "greeting" }],
              ["TOKEN", { secret: "creds", key: "token" }],
              ["TOKEN_LENGTH", { value: "literal" }],
            ],
            mounts: [
              { volume: "files", path: "/etc/files", readOnly: true },
              { volume: "creds", path: "/etc/creds", readOnly: true },
              { volume: "work", path: "/work" },
            ],
            ports: [],
            requests: { cpu: 100, memory: 64 * 2 ** 20 },
            limits: { cpu: 500, memory: 128 * 2 ** 20 },
          },
        ],
        volumes: [
          { name: "files", kind: "configMap", object: "files", mode: 0o444 },
          { name: "creds", kind: "secret", object: "creds", mode: 0o440 },
          { name: "work", kind: "scratch", size: 2 ** 20 },
        ],
        restartPolicy: "Never",
        terminationGracePeriodSeconds: 10,
      },
    },
  ],
};

let runner: PlanRunner;
beforeAll(async () => {
  const images = await ensureLocalImages(spec.images, spec.postgres.version);
  runner = await PlanRunner.create(plan, { runId: `drkit-it-runner-${process.pid}`, namespace: "test", images, secretValue: () => "s3cret-value", helperImage: spec.images.base });
});
afterAll(async () => {
  await runner?.destroy();
});

describe("a pod run by the runner", () => {
  it("gets kubelet's files, fsGroup, user, environment and read-only root, init containers first", async () => {
    const job = await runner.runJob("probe");
    expect(job.ok, job.output).toBe(true);
    const main = job.containers.find((c) => c.name === "main")!.stdout.trim().split("\n");
    expect(main).toEqual([
      // ConfigMap and Secret files: root-owned, their mode plus group read, group fsGroup.
      expect.stringMatching(/^\/etc\/files\/run\.sh 444 root:(999|drkit)$/),
      expect.stringMatching(/^\/etc\/creds\/token 440 root:(999|drkit)$/),
      // A scratch volume: group fsGroup, group-writable, setgid.
      expect.stringMatching(/^\/work 2775 root:(999|drkit)$/),
      // What the init container made, as it made it (the walk ran before it).
      expect.stringMatching(/^\/work\/private 2700 drkit:drkit$/),
      "999",
      "999",
      "hello literal 12",
      "init",
      "root-read-only",
      "from-config",
    ]);
  });
});
