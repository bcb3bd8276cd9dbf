/** Computes the plan (a dry-run build) and returns its events, for `status` and `why`. */
import {build} from '../engine/build.ts';
import type {OpenWorkspace} from '../engine/open-workspace.ts';
import type {BuildEvent} from '../reporting/events.ts';

export type PlanEvent = Extract<BuildEvent, {type: 'plan'}>;

/** `keys`: the action key of every node the plan could key (not those behind a dependency that will run). */
export async function computePlan(ws: OpenWorkspace, targets: string[]): Promise<{plan: Map<string, PlanEvent>; warnings: string[]; keys: ReadonlyMap<string, string>}> {
  const plan = new Map<string, PlanEvent>();
  const warnings: string[] = [];
  const saved = ws.reporter;
  ws.reporter = {
    log: (e) => {
      if (e.type === 'plan') plan.set(e.id, e);
      else if (e.type === 'warning') warnings.push(e.message);
    },
    close: () => {},
  };
  let keys: ReadonlyMap<string, string>;
  try {
    ({keys} = await build(ws, {targets, jobs: 1, gpuIds: [], keepGoing: true, dryRun: true, passthroughEnv: [], executors: {}, signal: new AbortController().signal}));
  } finally {
    ws.reporter = saved;
  }
  return {plan, warnings, keys};
}
