/** The REST API versions the edge serves side by side. */
export const VERSIONS = ['v1', 'v2'] as const;

export type Version = (typeof VERSIONS)[number];
