export { DrRegion, type DrRegionArgs } from "./DrRegion";
export { kubernetesTarget, type KubernetesTarget } from "./kubernetes";
export { cloudProviders } from "./providers";
