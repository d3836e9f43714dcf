/**
 * The visible envelope of a share link: "#r<version>.<base64url of deflated payload>".
 * r1, r2: aggregates with the legacy percentile bootstrap (decoders replay it). r3: the standard
 * intervals (Wilson / BCa ∪ t, model in the seed) and the emergence measures.
 */
export const LINK_VERSION = 3;
export const LINK_PREFIX = `#r${LINK_VERSION}.`;
/** Oldest link format this lab still opens: links live on in chat logs, so readers stay. */
export const OLDEST_LINK_VERSION = 1;
/** Matches any version, so a link from a newer lab gets "update" rather than "malformed". */
export const LINK_PATTERN = /^#?r([0-9]{1,6})\.([A-Za-z0-9_-]*)$/;
