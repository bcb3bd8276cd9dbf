/**
 * Rebuild reasons in the words of the toolchain: a venv says which pins changed, on the env node
 * itself (`input-changed: demo/requirements-openvino.txt (nncf 3.4.0→3.3.0)`) and on the nodes that
 * use it (`env-changed: env/openvino (nncf 3.4.0→3.3.0)`; a node keyed on a part of the toolchain
 * sees only the changes of that part).
 */
import type {GraphNode} from '../graph/graph.ts';
import type {EngineContext} from './engine-context.ts';
import type {RebuildReason} from './rebuild-reason.ts';

/** The reasons with the toolchain's words added as `changes` (the first changed input of a toolchain node, its toolchain on a user). */
export function explainReasons(ctx: EngineContext, node: GraphNode, reasons: RebuildReason[]): RebuildReason[] {
  const own = node.rule.explainChange ? node.rule.explainChange(node.params, ctx.graph.root) : undefined;
  let ownShown = false;
  return reasons.map((r) => {
    if (own?.length && !ownShown && r.kind === 'input-changed') {
      ownShown = true;
      return {...r, changes: own};
    }
    if (r.kind !== 'env-changed' || !r.toolchain || r.name !== node.toolchain) return r;
    const tc = ctx.graph.nodes.get(r.name);
    if (!tc) return r;
    let what = tc.rule.explainChange?.(tc.params, ctx.graph.root);
    const uses = node.rule.toolchainUses?.(node.params);
    if (what && uses?.length && tc.rule.toolchainPart) {
      const norm = (n: string) => n.toLowerCase().replace(/_/g, '-');
      const names = new Set(uses.map(norm));
      what = what.filter((w) => names.has(norm(w.split(' ')[0]!)));
    }
    return what?.length ? {...r, changes: what} : r;
  });
}
