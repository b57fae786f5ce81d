import { beforeAll, describe, expect, it } from "vitest";
import { ALERT_NAMES } from "../../components/alerts";
import { renderStack, type RenderedStack } from "../harness/renderStack";

describe("prod's alerting under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod");
  });

  it("puts the whole contract in a PrometheusRule the kube-prometheus-stack selects", () => {
    const rule = stack.named("alerts-rules");
    expect(rule.type).toBe("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rule.inputs["metadata"]).toMatchObject({ name: "drkit-prod", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } });
    const alerts = (rule.inputs["spec"] as any).groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    expect(alerts.sort()).toEqual([...ALERT_NAMES].sort());
  });

  it("scrapes both exporters with the labels the rules select on", () => {
    const rules = JSON.stringify((stack.named("alerts-rules").inputs["spec"] as any).groups);
    for (const component of ["postgres", "redis"]) {
      const monitor = stack.named(`alerts-${component}-monitor`);
      expect(monitor.type).toBe("kubernetes:monitoring.coreos.com/v1:PodMonitor");
      const spec = monitor.inputs["spec"] as any;
      expect(spec.namespaceSelector).toEqual({ matchNames: ["trading-data"] });
      const podLabels = (stack.named(component, "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).selector.matchLabels;
      expect(spec.selector.matchLabels).toEqual(podLabels);
      expect(spec.podMetricsEndpoints[0].port).toBe("metrics");
      const stamped = Object.fromEntries(spec.podMetricsEndpoints[0].relabelings.map((r: any) => [r.targetLabel, r.replacement]));
      expect(stamped).toEqual({ drkit_stack: "prod", drkit_component: component });
      expect(rules).toContain(`drkit_stack=\\"prod\\",drkit_component=\\"${component}\\"`);
      const container = (stack.named(component, "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).template.spec.containers.find((c: any) => c.name === "exporter");
      expect(container.ports[0].name).toBe("metrics");
    }
  });
});
