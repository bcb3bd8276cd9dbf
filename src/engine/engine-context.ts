/** What every engine step needs: the analysed graph, the workspace's store, memo and state, and a reporter. */
import type {KeyObject} from 'node:crypto';
import type {LocalStore} from '../../cache/local-store.ts';
import type {PathDigest, StatMemo} from '../../cache/stat-memo.ts';
import type {Graph} from '../graph/graph.ts';
import type {Reporter} from '../reporting/events.ts';
import type {NodeState} from './node-state.ts';
import type {WorkspacePaths} from './workspace.ts';
import type {RemoteBridge} from './remote-bridge.ts';

export interface EngineContext {
  graph: Graph;
  paths: WorkspacePaths;
  store: LocalStore;
  memo: StatMemo;
  state: NodeState;
  reporter: Reporter;
  remote?: RemoteBridge | undefined;
  /**
   * Digests of paths looked up in one batch at the start of a build (recorded outputs, source
   * inputs), so thousands of fresh nodes cost one parallel stat pass instead of one call each.
   * Entries of a node's outputs are dropped as soon as the node restores or runs.
   */
  prefetched?: Map<string, PathDigest> | undefined;
  /** The ed25519 writer key that signs provenance (`src/provenance/keys.ts`); unsigned without one. */
  signingKey?: KeyObject | undefined;
}
