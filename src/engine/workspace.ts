/** Where a workspace keeps its runtime state (`.bevbuild/`, gitignored). */
import {join} from 'node:path';

export interface WorkspacePaths {
  root: string;
  dir: string;
  cache: string;
  state: string;
  logs: string;
  runs: string;
  envs: string;
}

export function workspacePaths(root: string): WorkspacePaths {
  const dir = process.env['BEVBUILD_DIR'] ?? join(root, '.bevbuild');
  return {
    root,
    dir,
    cache: process.env['BEVBUILD_CACHE_DIR'] ?? join(dir, 'cache'),
    state: join(dir, 'state'),
    logs: join(dir, 'logs'),
    runs: join(dir, 'runs'),
    envs: join(dir, 'envs'),
  };
}
