/**
 * Argv prefix for helper tools written in TypeScript and shipped with the rules (config-override
 * writer, deploy-run wrapper, count validator, env probes). They run under this checkout's tsx
 * loader by absolute path: `node --import tsx` would resolve tsx from the *workspace*, which has no
 * node_modules of ours. Paths under this checkout are keyed as `$BEVBUILD/…` (portable keys).
 */
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');

/** Absolute path of a file next to the calling module (`toolPath(import.meta.url, './tools/x.ts')`). */
export function toolPath(base: string, rel: string): string {
  return fileURLToPath(new URL(rel, base));
}

/** `[node, --import, <tsx loader>, script]`: prepend to the tool's own arguments. */
export function nodeTool(script: string): string[] {
  return [process.execPath, '--import', pathToFileURL(TSX_LOADER).href, script];
}
