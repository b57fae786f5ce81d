export { checkConfig, reviewSpec, reviewWholeSpec } from "./review";
