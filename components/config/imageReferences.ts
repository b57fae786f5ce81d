/**
 * An image reference pinned by digest (`name@sha256:<64 hex>`): it always names the same bytes.
 * A tag names whatever was pushed to it last, so a push changes what pods run at their next
 * start without a deployment or a review.
 */
export const isPinned = (reference: string) => /@sha256:[0-9a-f]{64}$/.test(reference);
