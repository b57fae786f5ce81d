export * from "./plan";
export * from "./names";
export { bucketEndpoint, bucketStore, type S3Substitute } from "./endpoints";
export { IMAGE_NAMES, IMAGES_DIR, imageContext, imageRepository, imageBuildArgs, imageTag } from "./images";
export { DrkitImages, type DrkitImagesArgs } from "./DrkitImages";
export { containerOf, podSpecOf, configObjects, serverObjects, jobObject, namespaceNetworkPolicies, type KubernetesMapping, type NamespaceNetworkPolicyArgs } from "./kubernetes";
