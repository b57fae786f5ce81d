import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { HostProvisionSpec } from "../config";
import { renderScript } from "../shell/render";

export interface HostMachineArgs {
  /** The stack's name: the machine's, the volume's and the firewall's names and tags. */
  stack: string;
  /** What to create (`drkit:host.provision`). */
  provision: HostProvisionSpec;
  /** Keep the data volume when the stack is destroyed (false for a disposable drill). @default true */
  retainData?: boolean;
  /** Tags of the cloud resources (`drkit:tags`; AWS only). @default {} */
  tags?: Record<string, string>;
}

/** The official Debian images' owner on AWS (the Debian cloud team's account). */
export const DEBIAN_AMI_OWNER = "136693071363";

/** The login a fresh Debian 12 image gives the deployer's key: DigitalOcean's root, the Debian AMI's admin. */
export const hostUser = (provider: HostProvisionSpec["provider"]) => (provider === "digitalocean" ? "root" : "admin");

/** The block volume's device on the machine: by id, so a second disk never takes its place. */
export const volumeDevice = (provider: HostProvisionSpec["provider"], volume: string) =>
  // DigitalOcean names the device after the volume; a Nitro instance after the EBS volume id, without its dash.
  provider === "digitalocean" ? `/dev/disk/by-id/scsi-0DO_Volume_${volume}` : `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volume.replace("-", "")}`;

/**
 * A Docker host drkit creates for a stack (`drkit:host.provision`): a DigitalOcean droplet or an
 * EC2 instance (Debian 12) with a separate block volume for Docker's data — kept and protected
 * outside a drill, so a replaced machine mounts the same data — and cloud-init that mounts it at
 * /var/lib/docker and installs Docker. `ready` ends when cloud-init has finished on the machine
 * (checked over ssh with the deployer's agent, as Pulumi's Docker provider connects); the
 * firewall (`HostFirewall`) admits ssh from `sshFrom` and the published ports from `allowFrom`.
 */
export class HostMachine extends pulumi.ComponentResource {
  /** The machine's public address: Pulumi's Docker provider connects to it over ssh. */
  public readonly address: pulumi.Output<string>;
  /** The ssh login with Docker's socket. */
  public readonly user: string;
  /** `ssh://<user>@<address>`: the Docker provider's host. */
  public readonly dockerHost: pulumi.Output<string>;
  /** Cloud-init has finished: Docker runs, its data on the volume. */
  public readonly ready: command.remote.Command;
  /** What `HostFirewall` attaches its rules to. */
  /** The rules that let the deployer's ssh in (AWS): `ready` waits for them. */
  private readonly sshRules: pulumi.Resource[] = [];
  public readonly attachment: { provider: "digitalocean"; dropletId: pulumi.Output<number> } | { provider: "aws"; securityGroupId: pulumi.Output<string> };

  constructor(name: string, args: HostMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:host:HostMachine", name, {}, opts);
    const { provision, stack } = args;
    const parent = { parent: this };
    const keep: pulumi.CustomResourceOptions = args.retainData === false ? {} : { protect: true, retainOnDelete: true };
    this.user = hostUser(provision.provider);
    const machineName = `drkit-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63);
    const userData = (device: string) => renderScript("host-init.sh", `the Docker host of stack '${stack}'`, { VOLUME_DEVICE: device, DOCKER_USER: this.user });

    if (provision.provider === "digitalocean") {
      const volume = new digitalocean.Volume(
        `${name}-data`,
        { name: `${machineName}-docker`, region: provision.region, size: Math.ceil(provision.volumeSize / 2 ** 30), description: `Docker's data of drkit stack ${stack}` },
        { ...parent, ...keep },
      );
      const droplet = new digitalocean.Droplet(
        name,
        {
          name: machineName,
          region: provision.region,
          size: provision.size,
          image: provision.image,
          sshKeys: provision.sshKeys,
          monitoring: true,
          userData: volume.name.apply((volumeName) => userData(volumeDevice("digitalocean", volumeName))),
          volumeIds: [volume.id],
          tags: ["drkit", machineName],
        },
        parent,
      );
      const dropletId = droplet.id.apply(Number);
      // ssh from the declared blocks and everything out; HostFirewall's own firewall adds the published ports (DigitalOcean's rules add up).
      new digitalocean.Firewall(
        `${name}-ssh`,
        {
          name: `${machineName}-ssh`,
          dropletIds: [dropletId],
          inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: provision.sshFrom }],
          outboundRules: [
            { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
            { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
            { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
          ],
        },
        parent,
      );
      this.address = droplet.ipv4Address;
      this.attachment = { provider: "digitalocean", dropletId };
    } else {
      const subnet = aws.ec2.getSubnetOutput({ id: provision.subnetId }, parent);
      const ami = provision.ami ?? aws.ec2.getAmiOutput({ owners: [DEBIAN_AMI_OWNER], mostRecent: true, filters: [{ name: "name", values: ["debian-12-amd64-*"] }, { name: "architecture", values: ["x86_64"] }] }, parent).id;
      const tags = { ...args.tags, Name: machineName, "drkit:stack": stack };
      const volume = new aws.ebs.Volume(`${name}-data`, { availabilityZone: subnet.availabilityZone, size: Math.ceil(provision.volumeSize / 2 ** 30), type: "gp3", encrypted: true, finalSnapshot: args.retainData !== false, tags }, { ...parent, ...keep });
      const group = new aws.ec2.SecurityGroup(name, { name: machineName, description: `drkit stack ${stack}: ssh and the published ports, from the declared blocks only`, vpcId: subnet.vpcId, tags }, parent);
      // Out to the bucket, the package mirror and the registry; nothing comes in but the declared rules.
      new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, { securityGroupId: group.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", tags }, parent);
      const ssh = provision.sshFrom.map((cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-ssh-${i}`, { securityGroupId: group.id, ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: cidr, tags }, parent));
      const instance = new aws.ec2.Instance(
        name,
        {
          ami,
          instanceType: provision.instanceType,
          subnetId: provision.subnetId,
          keyName: provision.keyName,
          vpcSecurityGroupIds: [group.id],
          associatePublicIpAddress: true,
          userData: volume.id.apply((id) => userData(volumeDevice("aws", id))),
          // IMDSv2 only: a container that reaches the metadata service gets no role's credentials by a plain GET.
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
          rootBlockDevice: { volumeSize: 20, volumeType: "gp3", encrypted: true },
          tags,
        },
        parent,
      );
      new aws.ec2.VolumeAttachment(`${name}-data`, { instanceId: instance.id, volumeId: volume.id, deviceName: "/dev/sdf" }, parent);
      this.sshRules = ssh;
      this.address = instance.publicIp;
      this.attachment = { provider: "aws", securityGroupId: group.id };
    }
    this.dockerHost = pulumi.interpolate`ssh://${this.user}@${this.address}`;
    this.ready = new command.remote.Command(
      `${name}-ready`,
      {
        connection: { host: this.address, user: this.user },
        // Waits for the user data above; fails (and fails `pulumi up`) when it failed.
        create: "cloud-init status --wait --long",
      },
      { ...parent, dependsOn: this.sshRules, customTimeouts: { create: "20m" } },
    );
    this.registerOutputs({ address: this.address, dockerHost: this.dockerHost });
  }
}
