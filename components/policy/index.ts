export { checkConfig, reviewSpec } from "./review";
