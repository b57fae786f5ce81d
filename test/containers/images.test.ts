import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { docker } from "../../cli/containers/docker";
import { ensureLocalImages } from "../../cli/containers/images";
import { IMAGE_NAMES, imageContext } from "../../components/workloads/images";
import { stackSpec } from "./harness";

// Containers: images may be built first.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

/** drkit's images hold exactly the package versions their Dockerfiles pin, and run as uid 999. */
describe.each(IMAGE_NAMES)("drkit's %s image", (name) => {
  it("has the pinned Debian package versions and runs as uid 999 with bash 5", async () => {
    const spec = stackSpec("prod");
    const images = await ensureLocalImages(spec.images, spec.postgres.version);
    const dockerfile = readFileSync(join(imageContext(name), "Dockerfile"), "utf8");
    const pins = [...dockerfile.matchAll(/"([a-z0-9.+-]+?)(?:-\$\{PG_MAJOR\})?=\$\{([A-Z_]+)\}"/g)].map(([, pkg, arg]) => {
      const version = new RegExp(`^ARG ${arg}=(.+)$`, "m").exec(dockerfile)![1]!;
      return { pkg: dockerfile.includes(`"${pkg}-\${PG_MAJOR}=`) ? `${pkg}-${spec.postgres.version}` : pkg, version };
    });
    expect(pins.length).toBeGreaterThan(0);
    const query = await docker(["run", "--rm", "--entrypoint", "bash", images[name], "-c", `id -u; echo "$BASH_VERSION"; dpkg-query -W -f '\${Package}=\${Version}\\n' ${pins.map((p) => p.pkg).join(" ")}`]);
    expect(query.code, query.stderr).toBe(0);
    const [uid, bash, ...installed] = query.stdout.trim().split("\n");
    expect(uid).toBe("999");
    expect(bash).toMatch(/^5\./);
    expect(installed.sort()).toEqual(pins.map((p) => `${p.pkg}=${p.version}`).sort());
  });
});
