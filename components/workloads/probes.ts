import type { Probe } from "./plan";

/**
 * A probe as a command run in the container: what a Docker healthcheck and the container
 * runner's readiness checks execute. TCP and HTTP checks use bash's /dev/tcp, which every drkit
 * image has (none ships curl but the jobs image).
 */
export function probeCommand(probe: Probe): string[] {
  if (probe.exec) return probe.exec;
  if (probe.tcpPort !== undefined) return ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${probe.tcpPort}`];
  if (probe.http) {
    return ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${probe.http.port} && printf 'GET ${probe.http.path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 2[0-9][0-9] '`];
  }
  throw new Error("a probe needs exec, tcpPort or http");
}
