import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";

/** The Docker engine of `drkit:host.docker`: this machine's, or a server's over ssh:// or tcp://. */
export function dockerProvider(spec: DrSpec, opts: pulumi.CustomResourceOptions = {}): docker.Provider {
  return new docker.Provider("docker-host", { host: spec.host.docker }, opts);
}
