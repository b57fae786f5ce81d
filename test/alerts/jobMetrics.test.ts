import { beforeAll, describe, expect, it } from "vitest";
import { renderProgram, type RenderedStack } from "../harness/renderStack";

/** JobMetrics on its narrow args alone (test/fixtures/programs/jobMetricsAlone.ts). */
describe("JobMetrics alone, from its own args", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderProgram("jobMetricsAlone");
  });

  it("runs the image it was given in the namespace it was given, labelled for its stack", () => {
    const statefulSet = stack.named("job-metrics", "kubernetes:apps/v1:StatefulSet").inputs as any;
    expect(statefulSet.metadata.namespace).toBe("batch-jobs");
    expect(statefulSet.spec.template.spec.containers[0].image).toBe("registry.example/drkit-jobs@sha256:0123");
    expect(stack.outputs["podLabels"]).toMatchObject({ "app.kubernetes.io/instance": "reporting-job-metrics" });
    expect(stack.outputs["url"]).toBe("http://job-metrics.batch-jobs.svc:9091");
  });

  it("admits the monitoring namespace it was given and the job pods", () => {
    const policy = stack.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")[0]!.inputs as any;
    expect(policy.spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: { "drkit.dev/job-metrics-client": "true" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } },
    ]);
  });

  it("does not retain the volume of a gateway that keeps no data, and parents everything", () => {
    const claim = stack.ofType("kubernetes:core/v1:PersistentVolumeClaim")[0]!;
    expect(claim.retainOnDelete).toBe(false);
    const component = stack.ofType("drkit:alerts:JobMetrics")[0]!;
    const orphans = stack.resources.filter((r) => r !== component && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:Namespace" && !stack.parentOf(r));
    expect(orphans).toEqual([]);
  });
});
