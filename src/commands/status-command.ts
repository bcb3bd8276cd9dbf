/** `bevbuild status [targets]`: one line per node — fresh, would restore, would run — with reasons. */
import type {Options} from '../cli-options.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';
import {computePlan} from './plan.ts';
import {eventJson, planText} from '../reporting/events.ts';

export async function statusCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), true);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const {plan, warnings} = await computePlan(ws, targets);
  if (opts.json) {
    for (const e of plan.values()) process.stdout.write(`${JSON.stringify(eventJson(e))}\n`);
    return EXIT.ok;
  }
  for (const w of warnings) process.stdout.write(`⚠ ${w}\n`);
  const mark = {fresh: '✔ fresh  ', restore: '↺ restore', run: '▶ stale  ', mayRun: '? may run'} as const;
  let stale = 0;
  let mayRun = 0;
  for (const id of ws.graph.order) {
    const e = plan.get(id);
    if (!e) continue;
    if (e.action !== 'fresh') stale++;
    if (e.mayCutOff) mayRun++;
    process.stdout.write(`${mark[e.mayCutOff ? 'mayRun' : e.action]} ${id}${planText(e) ? `  ${planText(e)}` : ''}\n`);
  }
  const maybe = mayRun ? ` (${mayRun} of them only if what they wait for comes out changed)` : '';
  process.stdout.write(`\n${plan.size - stale} fresh, ${stale} to rebuild or restore${maybe}\n`);
  return EXIT.ok;
}
