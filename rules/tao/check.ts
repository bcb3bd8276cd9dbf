/**
 * The `check` of every TAO rule (they declare `exitCode: 'check'`): it runs right after
 * `docker run` returns, whatever its exit code, decides the verdict from status.json + log +
 * artifacts (status.ts), and records it as the node's `bevbuild-verdict.json` output — so a
 * teardown crash that was accepted, and the per-epoch KPIs, stay visible next to the outputs.
 */
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import {fail, ok, type CheckContext, type Result} from '../../src/index.ts';
import type {TaoAction} from '../../schemas/tao/spec-builder.ts';
import type {ArtifactReport} from './artifacts.ts';
import {apPerEpoch, decideVerdict, parseStatusLines, type StatusLine, type Verdict} from './status.ts';

export const VERDICT_FILE = 'bevbuild-verdict.json';

/** Exit codes of the docker client itself: the container never ran the tool. */
const DOCKER_ERRORS: Record<number, string> = {125: 'docker could not create or start the container (daemon, image or flag problem)', 126: 'the container command could not be invoked', 127: 'the container command was not found'};

export interface TaoCheckInput {
  action: TaoAction;
  /**
   * Absolute path of this run's status.json, in the staging area. A fresh run's file holds its own
   * lines only; a resumed run's file also holds the interrupted run's lines before them, which is why
   * the verdict takes the last success unless a FAILURE follows it.
   */
  statusFile: string;
  /** Absolute path where the verdict is written (a declared output). */
  verdictFile: string;
  artifacts: () => ArtifactReport;
}

export async function taoCheck(input: TaoCheckInput, ctx: CheckContext): Promise<Result<void>> {
  const log = await ctx.log();
  const lines: StatusLine[] = existsSync(input.statusFile) ? parseStatusLines(readFileSync(input.statusFile, 'utf8')) : [];
  const dockerError = DOCKER_ERRORS[ctx.exitCode];
  const report: ArtifactReport = dockerError && lines.length === 0 ? {problems: [dockerError]} : input.artifacts();
  const verdict: Verdict = decideVerdict({lines, log, artifactProblems: report.problems, ...(report.savedEpochs ? {savedEpochs: report.savedEpochs} : {})});
  const record = {
    action: input.action,
    verdict: verdict.kind,
    summary: verdict.summary,
    exitCode: ctx.exitCode,
    wrapper: verdict.wrapper ?? null,
    signal: verdict.signal ?? null,
    artifactProblems: report.problems,
    ...(input.action === 'train' ? {ap11PerEpoch: apPerEpoch(lines), savedEpochs: report.savedEpochs ?? []} : {}),
    ...(report.metrics ? {metrics: report.metrics} : {}),
    ...(report.predictions !== undefined ? {predictions: report.predictions} : {}),
  };
  mkdirSync(dirname(input.verdictFile), {recursive: true});
  writeFileSync(input.verdictFile, `${JSON.stringify(record, null, 2)}\n`);
  if (verdict.kind === 'succeeded' || verdict.kind === 'succeeded-with-teardown-crash') return ok(undefined);
  const exit = ctx.exitCode === 0 ? ' (docker exited 0: TAO 5.5 does so on failure too)' : ` (docker exited ${ctx.exitCode}${dockerError ? `: ${dockerError}` : ''})`;
  return fail(`tao-${verdict.kind}`, `TAO ${input.action} failed: ${verdict.summary}${exit}`, {details: [...report.problems.map((p) => `artifact: ${p}`), ...log.trimEnd().split('\n').slice(-15)]});
}
