import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * The example docker stack with its backups in S3 and its host an EC2 instance drkit creates,
 * under mocks: the instance, its encrypted data volume, the security group and its rules.
 */
describe("a docker stack on an EC2 instance drkit creates", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("bot", {
      stackFile: join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot.yaml"),
      config: {
        "drkit:region": "eu-central-1",
        "drkit:storage": { provider: "aws", bucket: "bot-backups-eu-central-1" },
        "drkit:host": { provision: { provider: "aws", subnetId: "subnet-0a1b2c3d4e5f60718", keyName: "deployer", sshFrom: ["198.51.100.7/32"], allowFrom: ["10.0.0.0/16", "10.1.0.0/16"] } },
      },
    });
  });

  it("creates a Debian 12 instance in the subnet, IMDSv2 only, with an encrypted gp3 volume in its zone, kept and protected", () => {
    const instance = stack.ofType("aws:ec2/instance:Instance")[0]!;
    expect(instance.inputs).toMatchObject({ ami: "ami-0debian12000000000", instanceType: "t3.medium", subnetId: "subnet-0a1b2c3d4e5f60718", keyName: "deployer", metadataOptions: { httpTokens: "required" } });
    const volume = stack.ofType("aws:ebs/volume:Volume")[0]!;
    expect(volume.inputs).toMatchObject({ availabilityZone: "eu-central-1a", size: 50, type: "gp3", encrypted: true });
    expect(volume.protect && volume.retainOnDelete).toBe(true);
    expect(stack.ofType("aws:ec2/volumeAttachment:VolumeAttachment")[0]!.inputs).toMatchObject({ deviceName: "/dev/sdf" });
    // Cloud-init finds the volume by its EBS id without the first dash, as a Nitro instance names
    // it (vol-0abc… is nvme-Amazon_Elastic_Block_Store_vol0abc…); the mock's id is host-machine-data-id.
    expect(String(instance.inputs["userData"])).toContain("VOLUME_DEVICE='/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_hostmachine-data-id'");
  });

  it("admits ssh from the deployer and each published port from each client block, nothing else", () => {
    const rules = stack.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => `${String(r.inputs["fromPort"])}<-${String(r.inputs["cidrIpv4"])}`);
    const ports = [5432, 6379, 9091, 9095, 9121, 9187];
    expect(rules.sort()).toEqual(["22<-198.51.100.7/32", ...ports.flatMap((p) => [`${p}<-10.0.0.0/16`, `${p}<-10.1.0.0/16`])].sort());
    expect(stack.ofType("aws:ec2/securityGroup:SecurityGroup")[0]!.inputs["vpcId"]).toBe("vpc-0fake1234567890ab");
  });

  it("connects the Docker provider as the Debian AMI's admin, after cloud-init; no key is needed on a host", () => {
    expect(stack.resources.find((r) => r.type === "pulumi:providers:docker")!.inputs["host"]).toBe("ssh://admin@198.51.100.60");
    expect(stack.ofType("command:remote:Command")[0]!.inputs).toMatchObject({ connection: { host: "198.51.100.60", user: "admin" } });
    expect(secretLeaks(stack)).toEqual([]);
  });
});
