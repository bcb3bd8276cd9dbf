/**
 * Stands in for an artifact whose inputs are not configured (e.g. DAIR-V2X-I when `DAIR_V2X_ROOT`
 * is not set): it declares the same outputs, so the rest of the graph is unchanged and analysis
 * needs none of the missing paths, and selecting anything that depends on it stops the build before
 * anything runs with `reason` (exit 2). A workspace that never selects it never notices.
 */
import {defineRule, z} from '../../src/index.ts';

export const unavailable = defineRule({
  name: 'intel/unavailable',
  version: 1,
  description: 'placeholder for an artifact whose inputs are not configured; refuses with the reason when selected',
  params: z.object({outputs: z.array(z.string()).min(1), reason: z.string().min(1)}).strict(),
  outputs: (p) => p.outputs,
  unavailable: (p) => p.reason,
  argv: (p) => ['sh', '-c', 'echo "$1" >&2; exit 2', 'unavailable', p.reason],
});
