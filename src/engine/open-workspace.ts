/** Loads, validates and analyses a workspace, and opens its store, stat memo and state. */
import {LocalStore} from '../../cache/local-store.ts';
import {StatMemo} from '../../cache/stat-memo.ts';
import {loadConfig} from '../config/load-config.ts';
import type {LoadedConfigSpec} from '../config/define-config.ts';
import type {Diagnostic} from '../diagnostics.ts';
import {analyze} from '../graph/analyze.ts';
import type {Reporter} from '../reporting/events.ts';
import type {Result} from '../result.ts';
import type {EngineContext} from './engine-context.ts';
import {NodeState} from './node-state.ts';
import {workspacePaths} from './workspace.ts';

export interface OpenWorkspace extends EngineContext {
  config: LoadedConfigSpec;
}

export async function openWorkspace(root: string, reporter: Reporter, opts: {fresh?: boolean} = {}): Promise<Result<OpenWorkspace, Diagnostic[]>> {
  const loaded = await loadConfig(root, opts);
  if (!loaded.ok) return loaded;
  const graph = analyze(root, loaded.value.file, loaded.value.spec);
  if (!graph.ok) return graph;
  const paths = workspacePaths(root);
  return {
    ok: true,
    value: {
      config: loaded.value.spec,
      graph: graph.value,
      paths,
      store: new LocalStore(paths.cache),
      memo: await StatMemo.open(paths.state),
      state: NodeState.load(paths.state),
      reporter,
    },
  };
}
