import * as aws from "@pulumi/aws";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { HostMachine } from "./HostMachine";

export interface HostFirewallArgs {
  /** The stack's name: the firewall's. */
  stack: string;
  /** The machine whose firewall (DigitalOcean) or security group (AWS) admits the ports. */
  machine: Pick<HostMachine, "attachment">;
  /** The ports the host publishes (`publishedPorts` of its plan): clients' and metrics ports. */
  ports: number[];
  /** The CIDR blocks admitted to them (`drkit:host.provision.allowFrom`). Empty: none is reachable from outside the host. */
  allowFrom: string[];
}

/**
 * The published ports of a host drkit created, admitted from the declared blocks only: a second
 * DigitalOcean Cloud Firewall on the droplet (its rules add to the ssh firewall's), or ingress
 * rules of the instance's security group. Created before the containers publish anything.
 */
export class HostFirewall extends pulumi.ComponentResource {
  constructor(name: string, args: HostFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:host:HostFirewall", name, {}, opts);
    const parent = { parent: this };
    const { machine, ports, allowFrom } = args;
    const attachment = machine.attachment;
    if (attachment.provider === "digitalocean") {
      if (allowFrom.length > 0) {
        new digitalocean.Firewall(
          name,
          {
            name: `drkit-${args.stack}-ports`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
            dropletIds: [attachment.dropletId],
            inboundRules: ports.map((port) => ({ protocol: "tcp", portRange: String(port), sourceAddresses: allowFrom })),
          },
          parent,
        );
      }
    } else {
      for (const port of ports) {
        allowFrom.forEach((cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-${port}-${i}`, { securityGroupId: attachment.securityGroupId, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: cidr }, parent));
      }
    }
    this.registerOutputs({});
  }
}
