/**
 * The batch script of a resumable node (engine/resume.ts) on SLURM. Such a job is submitted with
 * `--requeue` and `--signal=B:USR1@<s>` (sbatch(1): `B:` signals only the batch shell, `s` seconds
 * before the time limit, up to 60 s early). The script therefore runs the tool as a child instead of
 * exec'ing it, and:
 * * passes USR1 (the time-limit warning) and TERM (scancel, a requeue, preemption) on to the tool —
 *   a tool with a handler (the demo trainer) stops at a step boundary, one without (mmcv, TAO) dies,
 *   and its last epoch checkpoint is what a resume starts from;
 * * after USR1, requeues its own job when the tool wrote a new complete checkpoint during this start
 *   (so the next allocation continues; without progress it ends, and the next build resumes);
 * * when SLURM restarts the job (`SLURM_RESTART_COUNT` > 0: `scontrol requeue`, preemption, the
 *   self-requeue above), finds the last complete checkpoint in the state dir — the same choice as
 *   `lastCheckpoint` — and starts the tool with its resume arguments. bevbuild keeps following the
 *   same job id throughout (slurm.ts), never submitting a second one.
 */
import type {Checkpoint, CheckpointNaming} from '../engine/resume.ts';
import {shellQuote} from '../shell-quote.ts';

/** What a resumable job carries (`ExecJob.resume`). */
export interface JobResume {
  /** Absolute state directory (the staged run dir). */
  stateDir: string;
  checkpoint: CheckpointNaming;
  /** The tool's argv without resume arguments (what a restart extends). */
  baseArgv: string[];
  /** The rule's resume arguments for a checkpoint. */
  args: (ckpt: Checkpoint) => string[];
  /** Seconds before the time limit SLURM sends USR1 (default 120). */
  signalSeconds?: number;
  /** The `SLURM_CONF` bevbuild's own SLURM commands use, for the job's `scontrol requeue` when the job has none. */
  slurmConf?: string;
}

export const DEFAULT_SIGNAL_SECONDS = 120;

/** The extra `sbatch` flags of a resumable job. */
export function resumeSbatchArgs(r: JobResume): string[] {
  return ['--requeue', `--signal=B:USR1@${r.signalSeconds ?? DEFAULT_SIGNAL_SECONDS}`];
}

const PATH_MARK = '\u0001BEVBUILD_CKPT_PATH\u0001';
const NAME_MARK = '\u0001BEVBUILD_CKPT_NAME\u0001';

/** An argument of the rule's resume args as shell text: literal parts quoted, the checkpoint as variables. */
function renderArg(arg: string): string {
  const parts = arg.split(/(\u0001BEVBUILD_CKPT_(?:PATH|NAME)\u0001)/).filter((s) => s !== '');
  if (parts.length === 0) return "''";
  return parts.map((s) => (s === PATH_MARK ? '"$ckpt_path"' : s === NAME_MARK ? '"$ckpt_name"' : shellQuote(s))).join('');
}

/** The lines that replace `exec <argv>` at the end of a resumable job's batch script. */
export function resumeScriptLines(argv: string[], r: JobResume): string[] {
  const q = (a: string[]) => a.map(shellQuote).join(' ');
  const resumeArgs = r.args({path: PATH_MARK, name: NAME_MARK}).map(renderArg).join(' ');
  const {prefix, suffix, pointer} = r.checkpoint;
  return [
    // The last complete checkpoint's name in $1 (resume.ts lastCheckpoint): what the pointer names, else the newest number.
    'bevbuild_checkpoint() {',
    `  local d=$1 n='' mid best=-1 f`,
    ...(pointer ? [
      `  local p="$d"/${shellQuote(pointer)}`,
      `  if [ -L "$p" ]; then n=$(basename -- "$(readlink -- "$p")")`,
      `  elif [ -f "$p" ] && [ "$(wc -c < "$p")" -le 4096 ]; then n=$(tr -d '\\r\\n\\000' < "$p"); n=\${n##*/}; fi`,
      `  mid=\${n#${shellQuote(prefix)}}; mid=\${mid%${shellQuote(suffix)}}`,
      `  if [ -n "$n" ] && [ ${shellQuote(prefix)}"$mid"${shellQuote(suffix)} = "$n" ] && [ -f "$d/$n" ]; then`,
      `    case $mid in ''|*[!0-9]*) ;; *) printf '%s\\n' "$n"; return 0;; esac`,
      '  fi',
      `  n=''`,
    ] : []),
    `  for f in "$d"/${shellQuote(prefix)}*${shellQuote(suffix)}; do`,
    `    [ -f "$f" ] || continue`,
    `    f=\${f##*/}; mid=\${f#${shellQuote(prefix)}}; mid=\${mid%${shellQuote(suffix)}}`,
    `    case $mid in ''|*[!0-9]*) continue;; esac`,
    `    if [ "$mid" -gt "$best" ]; then best=$mid; n=$f; fi`,
    '  done',
    `  [ -n "$n" ] && printf '%s\\n' "$n"`,
    '  return 0',
    '}',
    `state=${shellQuote(r.stateDir)}`,
    `set -- ${q(argv)}`,
    'if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then',
    '  ckpt_name=$(bevbuild_checkpoint "$state")',
    '  if [ -n "$ckpt_name" ]; then',
    '    ckpt_path=$state/$ckpt_name',
    '    echo "[bevbuild] SLURM job $SLURM_JOB_ID restarted (restart $SLURM_RESTART_COUNT): resuming from $ckpt_name"',
    `    set -- ${q(r.baseArgv)} ${resumeArgs}`,
    '  else',
    '    echo "[bevbuild] SLURM job $SLURM_JOB_ID restarted (restart $SLURM_RESTART_COUNT): no complete checkpoint yet, starting over"',
    `    set -- ${q(r.baseArgv)}`,
    '  fi',
    'fi',
    'before=$(bevbuild_checkpoint "$state")',
    "got=''",
    "sig=''",
    // Said in the job's log: the user sees the warning arrived, and when (the tool may take a while to stop).
    `trap 'sig=1; got=USR1; echo "[bevbuild] SLURM sent USR1 (time limit near): passing it on to the tool"; kill -s USR1 "$child" 2>/dev/null' USR1`,
    `trap 'sig=1; got=\${got:-TERM}; kill -s TERM "$child" 2>/dev/null' TERM`,
    '"$@" &',
    'child=$!',
    // A trapped signal interrupts `wait`: wait again until the tool itself has ended.
    "while :; do sig=''; wait \"$child\"; rc=$?; [ -z \"$sig\" ] && break; done",
    'if [ "$got" = USR1 ]; then',
    '  after=$(bevbuild_checkpoint "$state")',
    '  if [ -n "$after" ] && [ "$after" != "$before" ]; then',
    '    echo "[bevbuild] SLURM time limit near: the tool stopped with $after complete; requeueing job $SLURM_JOB_ID to resume from it"',
    `    SLURM_CONF=\${SLURM_CONF:-${shellQuote(r.slurmConf ?? '/etc/slurm/slurm.conf')}} scontrol requeue "$SLURM_JOB_ID" && exit "$rc"`,
    '  fi',
    '  echo "[bevbuild] SLURM time limit near: no new checkpoint since this start (${before:-none}); not requeueing"',
    'fi',
    'exit "$rc"',
  ];
}
