export { MediaMirror, type MediaMirrorArgs } from "./MediaMirror";
export { MEDIA_OBJECTS, mediaInput, mediaLabels, mediaPlan, renderMediaScript, type MediaInput, type MediaLocation } from "./plan";
