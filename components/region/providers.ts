import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";

/**
 * The cloud providers of a stack, configured from its spec rather than from `aws:region`, so a
 * stack file has one region setting (`drkit:region`). Every AWS resource is tagged with the
 * spec's tags and the stack it belongs to. DigitalOcean takes its token and Spaces keys from
 * the environment (DIGITALOCEAN_TOKEN, SPACES_ACCESS_KEY_ID, SPACES_SECRET_ACCESS_KEY).
 */
export function cloudProviders(spec: DrSpec, opts: pulumi.CustomResourceOptions = {}): Record<string, pulumi.ProviderResource> {
  if (spec.storage.provider !== "aws") return {};
  const aws_ = new aws.Provider("aws", {
    region: spec.region,
    defaultTags: { tags: { ...spec.tags, "drkit:stack": spec.stack, "drkit:role": spec.role } },
  }, opts);
  return { aws: aws_ };
}
