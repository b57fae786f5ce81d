import { stringify } from "yaml";
import { PORT } from "../workloads/names";
import { schedulerLabels } from "./rules";
import { monitorLabels, type AlertTargets } from "./targets";

/**
 * The Prometheus scrape configuration of a stack on a Docker host, where no PodMonitor exists:
 * each exporter, the job-metrics gateway and the scheduler at the address the host publishes them
 * on, stamped with the labels the rules select on (`drkit_stack`, `drkit_component`), as the
 * PodMonitors stamp them on a cluster. Paste its `scrape_configs` into the team's Prometheus
 * (or `scrape_config_files`), with the rule file beside it.
 */
export function renderScrapeConfig(spec: { stack: string }, targets: AlertTargets, address: string): string {
  const job = (component: string, port: number, labels: Record<string, string>, honorLabels = false) => ({
    job_name: `drkit-${spec.stack}-${component}`,
    scrape_interval: "30s",
    // The jobs push drkit_stack, drkit_component and their own labels to the gateway: keep them.
    ...(honorLabels ? { honor_labels: true } : {}),
    static_configs: [{ targets: [`${address}:${port}`], ...(Object.keys(labels).length > 0 ? { labels } : {}) }],
  });
  const configs = [
    ...(targets.postgres !== undefined ? [job("postgres", PORT.postgresMetrics, monitorLabels(spec, "postgres")), job("job-metrics", PORT.jobMetrics, {}, true)] : []),
    ...(targets.redis !== undefined ? [job("redis", PORT.redisMetrics, monitorLabels(spec, "redis"))] : []),
    job("scheduler", PORT.schedulerMetrics, schedulerLabels(spec)),
  ];
  return `# Prometheus scrape configuration rendered by drkit for stack '${spec.stack}' on its Docker host.\n${stringify({ scrape_configs: configs }, { lineWidth: 0 })}`;
}
