import type { PodSecurity } from "./plan";

/**
 * kubelet's SetVolumeOwnership as a shell step, for one volume mounted at `path` by a root helper:
 * group ownership, group read/write (read for a read-only volume), setgid directories
 * (rwMask 0660 / roMask 0440 plus 0110 on directories, pkg/volume/volume_linux.go);
 * `OnRootMismatch` skips the walk when the volume's root already matches. The container runner
 * and a Docker host's prepare containers both run it before a pod's containers start.
 */
export function fsGroupStep(path: string, readOnly: boolean, security: Pick<PodSecurity, "fsGroup" | "fsGroupChangePolicy">): string {
  const { fsGroup, fsGroupChangePolicy } = security;
  const files = readOnly ? "ug+r" : "ug+rw";
  const dirs = readOnly ? "ug+rx,g+s" : "ug+rwx,g+s";
  const rootMatches = `[ -n "$(find ${path} -maxdepth 0 -group ${fsGroup} -perm -${readOnly ? "2440" : "2660"})" ]`;
  const walk = `find ${path} -exec chgrp -h ${fsGroup} {} + && find ${path} ! -type l ! -type d -exec chmod ${files} {} + && find ${path} -type d -exec chmod ${dirs} {} +`;
  return fsGroupChangePolicy === "OnRootMismatch" ? `{ ${rootMatches} || { ${walk}; }; }` : `{ ${walk}; }`;
}
