/** Loads, validates and analyses a workspace, and opens its store, stat memo and state. */
import {LocalStore} from '../../cache/local-store.ts';
import {StatMemo} from '../../cache/stat-memo.ts';
import type {LoadedConfigSpec} from '../config/define-config.ts';
import type {Diagnostic} from '../diagnostics.ts';
import type {Reporter} from '../reporting/events.ts';
import type {Result} from '../result.ts';
import type {EngineContext} from './engine-context.ts';
import {NodeState} from './node-state.ts';
import {workspacePaths} from './workspace.ts';
import {mark} from '../timing.ts';
import {declare} from './declaration-memo.ts';

export interface OpenWorkspace extends EngineContext {
  config: LoadedConfigSpec;
}

export async function openWorkspace(root: string, reporter: Reporter): Promise<Result<OpenWorkspace, Diagnostic[]>> {
  const declared = await declare(root);
  if (!declared.ok) return declared;
  const paths = workspacePaths(root);
  const memo = await StatMemo.open(paths.state);
  const state = NodeState.load(paths.state);
  mark('memo + state loaded');
  return {
    ok: true,
    value: {
      config: declared.value.spec,
      graph: declared.value.graph,
      paths,
      store: new LocalStore(paths.cache, memo),
      memo,
      state,
      reporter,
    },
  };
}
