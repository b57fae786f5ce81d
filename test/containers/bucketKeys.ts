import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Keys under a prefix of a local bucket: s3rver keeps each object as `<key>._S3rver_object`. */
export function bucketKeys(directory: string, bucket: string, prefix: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else if (entry.name.endsWith("._S3rver_object")) out.push(path.replace(/\._S3rver_object$/, ""));
    }
  };
  walk(join(directory, bucket, prefix), prefix.replace(/\/$/, ""));
  return out.sort();
}
