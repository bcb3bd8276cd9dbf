/**
 * `bevbuild <command> --help` (or `bevbuild help <command>`): what one command does, its options and
 * an example. The overview of all commands is `HELP` in cli-options.ts.
 */
import type {Command} from './cli-options.ts';

const COMMON = `  -C <dir>        the workspace at or above <dir> (default: found from the current directory)
      --json      NDJSON on stdout`;

const BUILD_OPTIONS = `  -j, --jobs <n>        cpu slots (default: pools.cpu of the config, else the number of cores)
  -k, --keep-going      keep building independent nodes after a failure
  -n, --dry-run         print what would run or restore, with reasons; run nothing (-v: the fresh
                        nodes too; --json: every node, then the summary line)
  -B, --force           run the selected targets even if fresh or cached (not their dependencies)
      --stream          show running tools' output, prefixed [node-id] (-v/--verbose implies it)
      --remote <url>    Bazel-HTTP remote cache; --remote-upload, --remote-download minimal|all
${COMMON}`;

export const COMMAND_HELP: Partial<Record<Command, string>> = {
  build: `bevbuild [build] <target…> [options]
Builds targets: ids (deploy/kitti/second), globs over ids ('deploy/**', 'deploy/[kv]*/second') or
output paths. Only stale nodes run; the rest are fresh or restored from the cache, with reasons.

${BUILD_OPTIONS}

Example: bevbuild -B validate/kitti/second --stream`,
  status: `bevbuild status [target…]
Lists every node of the targets' closure (all nodes without targets): fresh, restore or run, and why.

${COMMON}`,
  why: `bevbuild why <target>
Explains why the target would rebuild, following stale dependencies down to the root causes.

${COMMON}`,
  graph: `bevbuild graph [target] [--format mermaid|dot|json]
Prints the graph of the target's closure (all nodes without a target). Default format: mermaid.

  -C <dir>        the workspace at or above <dir>`,
  audit: `bevbuild audit [target…]
Re-hashes workspace outputs and store objects against their action records and reports mismatches.

bevbuild audit --rebuild <target> [--nodes <glob>]
Can it be made again? Re-runs the target's closure (or the nodes matching <glob>; the others use
their recorded outputs) in a scratch workspace, ignoring every cache, and compares each output with
its record: bytes first, then meaning (ONNX, OpenVINO IR, checkpoints, config dumps), naming the first
differing file and field, tensor or byte. Exit 1 if a node is not reproducible.

${COMMON}

Example: bevbuild audit --rebuild deploy/kitti/second --nodes 'int8/**'`,
  lineage: `bevbuild lineage <target> | --uses <path>
What a target was made from (data, configs, code commits, toolchains), or which builds used <path>.

  --format mermaid   a picture instead of the text tree
${COMMON}`,
  provenance: `bevbuild provenance <target> > bundle.jsonl
Prints the provenance statements (in-toto, SLSA v1) of the target's closure as JSON lines.

  -C <dir>        the workspace at or above <dir>`,
  verify: `bevbuild verify <bundle.jsonl> <dir> --trusted-key <key.pub.pem>
Checks a deploy directory against a provenance bundle offline.

  --trusted-key <pem>   a public key to accept (repeatable; env BEVBUILD_TRUSTED_KEYS)`,
  clean: `bevbuild clean [target…] [--all]
Deletes the workspace copies of the targets' outputs (all without targets); the store keeps them,
so the next build restores instead of running. Also deletes the targets' kept partial runs
(.bevbuild/partial: an interrupted resumable training then starts from its first epoch); an id
since removed from the config (a dropped sweep point) still names its kept partial runs.
Waits for a running build of the workspace first.

  --all           also delete .bevbuild/ (store, state, envs, logs): the next build runs everything
  -C <dir>        the workspace at or above <dir>`,
  cache: `bevbuild cache prune --max-size <size>
Bounds the local store (e.g. 500M, 20G), dropping the least recently used entries first. Also drops
kept partial runs whose action key no node of the config has any more (a removed sweep point, changed
params), listing them with their size; a run of a key some node still has is kept, as is every run of
a node not keyable yet (a dependency runs first). Without a loadable config: only the kept
partial runs superseded by a newer one of the same node (its action key changed) or unreadable.

${COMMON}`,
  ui: `bevbuild ui [target…] [--port <n>] [--allow-build]
Serves a page on 127.0.0.1 (printed) with the graph of the targets' closure (all nodes without
targets) coloured by state, live while builds run in other terminals; per node why it is stale,
its last run and log, outputs, inputs, toolchain, lineage and provenance; the INT8-vs-FP32 report
of every validation gate; and the summaries of past builds. Ctrl-C stops it.

  --port <n>      listen on this port (default: a free one)
  --allow-build   let the page start a build of a node (same-origin requests only)
  -C <dir>        the workspace at or above <dir>`,
  watch: `bevbuild watch <target…> [build options]
Builds, then rebuilds whenever an input or bevbuild.config.ts changes, naming the file that changed.
Outputs and .bevbuild/ are not watched. Ctrl-C stops.

${BUILD_OPTIONS}`,
};
