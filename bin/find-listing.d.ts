// Types of bin/find-listing.js (plain JavaScript: the bin runs it before tsx or esbuild load).

/** find's -printf format: `<types> <dev> <ino> <size> <mode> <mtime> <ctime> <path>\0` per entry. */
export const FIND_FORMAT: string;
/** A tree's `find -L` listing in parts (the root's entries first), one process after another; undefined if find failed. */
export function listTreeSync(root: string): Buffer[] | undefined;
/** The same parts, one process per core at once. */
export function listTree(root: string): Promise<Buffer[] | undefined>;
