import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";
import type { HostMachine } from "../host/HostMachine";
import { imageRegistries } from "../workloads/images";

/**
 * The Docker engine of `drkit:host.docker` (this machine's, or a server's over ssh:// or tcp://),
 * or of the machine drkit created, over ssh once cloud-init has installed Docker on it.
 */
export function dockerProvider(spec: DrSpec, machine: HostMachine | undefined, opts: pulumi.CustomResourceOptions = {}): docker.Provider {
  // The host pulls drkit's images with the deployer's login to each registry (~/.docker/config.json,
  // the one `pulumi up` pushed with): no registry credential is stored on the host.
  const registryAuth = imageRegistries(spec.images).map((address) => ({ address }));
  const auth = registryAuth.length > 0 ? { registryAuth } : {};
  if (machine) return new docker.Provider("docker-host", { host: machine.dockerHost, ...auth }, { ...opts, dependsOn: [machine.ready] });
  return new docker.Provider("docker-host", { host: spec.host.docker ?? "unix:///var/run/docker.sock", ...auth }, opts);
}
