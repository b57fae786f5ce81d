import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";
import type { HostMachine } from "../host/HostMachine";

/**
 * The Docker engine of `drkit:host.docker` (this machine's, or a server's over ssh:// or tcp://),
 * or of the machine drkit created, over ssh once cloud-init has installed Docker on it.
 */
export function dockerProvider(spec: DrSpec, machine: HostMachine | undefined, opts: pulumi.CustomResourceOptions = {}): docker.Provider {
  if (machine) return new docker.Provider("docker-host", { host: machine.dockerHost }, { ...opts, dependsOn: [machine.ready] });
  return new docker.Provider("docker-host", { host: spec.host.docker ?? "unix:///var/run/docker.sock" }, opts);
}
