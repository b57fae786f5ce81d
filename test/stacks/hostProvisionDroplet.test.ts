import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderScript } from "../../components/shell/render";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";
import { shellcheckTexts } from "../harness/shellcheck";
import { secretLeaks } from "./leaks";

/** The example docker stack on a droplet drkit creates (`drkit:host.provision`), under mocks. */
describe("a docker stack on a droplet drkit creates", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("bot", {
      stackFile: join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot.yaml"),
      config: { "drkit:host": { provision: { provider: "digitalocean", sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"], sshFrom: ["198.51.100.0/24"], allowFrom: ["10.114.0.0/20"], volumeSize: "40Gi" } } },
    });
  });

  it("creates a Debian droplet in the stack's region with the deployer's key and a kept, protected volume for Docker's data", () => {
    const droplet = stack.ofType("digitalocean:index/droplet:Droplet")[0]!;
    expect(droplet.inputs).toMatchObject({ name: "drkit-bot", region: "fra1", size: "s-2vcpu-4gb", image: "debian-12-x64", sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"], volumeIds: ["host-machine-data-id"] });
    const volume = stack.ofType("digitalocean:index/volume:Volume")[0]!;
    expect(volume.inputs).toMatchObject({ name: "drkit-bot-docker", region: "fra1", size: 40 });
    expect(volume.protect && volume.retainOnDelete).toBe(true);
    // The droplet itself holds nothing: a replaced one mounts the same volume.
    expect(droplet.protect).toBe(false);
  });

  it("installs Docker with cloud-init that mounts the volume by id and never formats one with a file system; the script passes shellcheck", () => {
    const userData = String(stack.ofType("digitalocean:index/droplet:Droplet")[0]!.inputs["userData"]);
    expect(userData).toBe(renderScript("host-init.sh", "the Docker host of stack 'bot'", { VOLUME_DEVICE: "/dev/disk/by-id/scsi-0DO_Volume_drkit-bot-docker", DOCKER_USER: "root" }));
    expect(userData).toContain("apt-get install -y -q --no-install-recommends docker.io");
    expect(shellcheckTexts({ "user-data.sh": userData })).toBe("");
  });

  it("reaches the new droplet's engine over ssh once cloud-init is done, and publishes on every address behind its firewall", () => {
    const provider = stack.resources.find((r) => r.type === "pulumi:providers:docker")!;
    expect(provider.inputs["host"]).toBe("ssh://root@203.0.113.50");
    const ready = stack.ofType("command:remote:Command")[0]!;
    expect(ready.inputs).toMatchObject({ create: "cloud-init status --wait --long", connection: { host: "203.0.113.50", user: "root" } });
    expect(provider.dependsOn).toContain(ready.urn);
    const sandbox = stack.ofType("docker:index/container:Container").find((c) => c.inputs["name"] === "drkit-bot-postgres")!;
    expect(sandbox.inputs["ports"]).toEqual([
      { internal: 5432, external: 5432, ip: "0.0.0.0" },
      { internal: 9187, external: 9187, ip: "0.0.0.0" },
    ]);
  });

  it("admits ssh from the deployer's blocks and exactly the published ports from the clients' blocks, before a container publishes one", () => {
    const firewalls = Object.fromEntries(stack.ofType("digitalocean:index/firewall:Firewall").map((f) => [String(f.inputs["name"]), f.inputs]));
    expect(firewalls["drkit-bot-ssh"]).toMatchObject({ dropletIds: [424242], inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["198.51.100.0/24"] }] });
    const ports = firewalls["drkit-bot-ports"]!["inboundRules"] as { portRange: string; sourceAddresses: string[] }[];
    expect(ports.map((r) => Number(r.portRange))).toEqual([5432, 6379, 9091, 9095, 9121, 9187]);
    for (const rule of ports) expect(rule.sourceAddresses).toEqual(["10.114.0.0/20"]);
    // The containers wait for the firewall (a component's dependency is its resources').
    const host = stack.ofType("drkit:host:DockerHost")[0]!;
    const portsFirewall = stack.ofType("digitalocean:index/firewall:Firewall").find((f) => f.inputs["name"] === "drkit-bot-ports")!;
    expect(host.dependsOn).toEqual([portsFirewall.urn]);
    expect(secretLeaks(stack)).toEqual([]);
  });
});
