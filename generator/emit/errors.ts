/** A profile that passed validate but cannot be rendered as asked (e.g. for this Packer): a user's error, exit 1. */
export class RenderError extends Error {}
