/** Prefix of the manifest line printed by extract-manifest (shared by both ends of that pipe). */
export const MANIFEST_MARKER = "@@tributary-manifest@@ ";
