import { describe, expect, it } from "vitest";
import { imageRegistries, registryHost } from "../../components/workloads/images";

describe("the registries a Docker host pulls drkit's images from", () => {
  it("is the host part of a reference, never a Docker Hub short name", () => {
    expect(registryHost("registry.digitalocean.com/bot/drkit-jobs:15-drkit")).toBe("registry.digitalocean.com");
    expect(registryHost("123456789012.dkr.ecr.eu-central-1.amazonaws.com/trading/drkit-postgres@sha256:abc")).toBe("123456789012.dkr.ecr.eu-central-1.amazonaws.com");
    expect(registryHost("localhost:5000/drkit-redis:drkit")).toBe("localhost:5000");
    expect(registryHost("debian:bookworm-slim")).toBeUndefined();
    expect(registryHost("acme/drkit-jobs:15")).toBeUndefined();
  });

  it("lists the stack's registry and those of its ready images, once each", () => {
    const base = "debian:bookworm-slim";
    expect(imageRegistries({ base, registry: "registry.digitalocean.com/bot" })).toEqual(["registry.digitalocean.com"]);
    expect(imageRegistries({ base, registry: "ghcr.io/acme", postgres: "ghcr.io/acme/pg@sha256:a", redis: "quay.io/acme/redis:7", jobs: "acme/jobs:1" })).toEqual(["ghcr.io", "quay.io"]);
    expect(imageRegistries({ base })).toEqual([]);
  });
});
