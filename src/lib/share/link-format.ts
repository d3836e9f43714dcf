/** The visible envelope of a share link: "#r<version>.<base64url of deflated payload>". */
export const LINK_VERSION = 1;
export const LINK_PREFIX = `#r${LINK_VERSION}.`;
/** Matches any version, so a link from a newer lab gets "update" rather than "malformed". */
export const LINK_PATTERN = /^#?r([0-9]{1,6})\.([A-Za-z0-9_-]*)$/;
