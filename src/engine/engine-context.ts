/** What every engine step needs: the analysed graph, the workspace's store, memo and state, and a reporter. */
import type {LocalStore} from '../../cache/local-store.ts';
import type {StatMemo} from '../../cache/stat-memo.ts';
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
}
