/**
 * Command-line parsing. Every bad value becomes a usage error that says what was expected
 * (exit code 2), never an exception.
 */
import {resolve} from 'node:path';
import {parseArgs} from 'node:util';
import {findWorkspaceRoot} from './config/find-workspace.ts';
import {fail, ok, type Result} from './result.ts';

export const COMMANDS = ['build', 'status', 'why', 'graph', 'clean', 'cache', 'audit', 'lineage', 'watch', 'provenance', 'verify', 'ui', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Options {
  command: Command;
  targets: string[];
  root: string;
  /** `-j`; undefined: `pools.cpu` of the config, else the number of cores. */
  jobs: number | undefined;
  keepGoing: boolean;
  dryRun: boolean;
  /** `-B/--force`: run the selected targets even if fresh or cached (not their dependencies). */
  force: boolean;
  /** `--stream`: show running tools' output, prefixed by node id (`-v` implies it). */
  stream: boolean;
  /** `bevbuild <command> --help` / `bevbuild help <command>`: the command whose help to print. */
  helpTopic: Command | undefined;
  json: boolean;
  verbose: boolean;
  format: 'mermaid' | 'dot' | 'json';
  maxSize: number | undefined;
  /** Remote settings from flags or env; undefined: not given, so the config's `remote` decides. */
  remoteUrl: string | undefined;
  remoteUpload: boolean | undefined;
  remoteDownload: 'minimal' | 'all' | undefined;
  all: boolean;
  /** `--format` was given (lineage prints a text tree by default, Mermaid only when asked). */
  formatGiven: boolean;
  /** `lineage --uses PATH`: which builds read PATH. */
  uses: string | undefined;
  /** `audit --rebuild`: re-run the closure in a scratch workspace and compare outputs. */
  rebuild: boolean;
  /** `audit --rebuild --nodes GLOB`: re-run only these nodes (the rest come from the store). */
  nodes: string | undefined;
  /** `--trusted-key` (verify): public key files to accept signatures from. */
  trustedKeys: string[];
  /** `ui --port`: undefined: a free port. */
  port: number | undefined;
  /** `ui --allow-build`: the page may start builds. */
  allowBuild: boolean;
}

export function parseOptions(argv: string[]): Result<Options> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        C: {type: 'string', short: 'C'},
        jobs: {type: 'string', short: 'j'},
        'keep-going': {type: 'boolean', short: 'k'},
        'dry-run': {type: 'boolean', short: 'n'},
        force: {type: 'boolean', short: 'B'},
        stream: {type: 'boolean'},
        json: {type: 'boolean'},
        verbose: {type: 'boolean', short: 'v'},
        format: {type: 'string'},
        'max-size': {type: 'string'},
        remote: {type: 'string'},
        'remote-upload': {type: 'boolean'},
        'remote-download': {type: 'string'},
        all: {type: 'boolean'},
        uses: {type: 'string'},
        rebuild: {type: 'boolean'},
        nodes: {type: 'string'},
        'trusted-key': {type: 'string', multiple: true},
        port: {type: 'string'},
        'allow-build': {type: 'boolean'},
        help: {type: 'boolean', short: 'h'},
        version: {type: 'boolean', short: 'V'},
      },
    });
  } catch (e) {
    return fail('usage', `${(e as Error).message}. See \`bevbuild --help\`.`);
  }
  const v = parsed.values;
  const pos = [...parsed.positionals];
  let command: Command = 'build';
  const isCommand = (s: string | undefined): s is Command => s !== undefined && (COMMANDS as readonly string[]).includes(s);
  let helpTopic: Command | undefined;
  if (v.help) {
    command = 'help';
    if (isCommand(pos[0])) helpTopic = pos[0];
  } else if (v.version) command = 'version';
  else if (isCommand(pos[0])) command = pos.shift() as Command;
  if (command === 'help' && !helpTopic && isCommand(pos[0])) helpTopic = pos[0];
  if (command === 'cache') {
    if (pos.shift() !== 'prune') return fail('usage', 'expected `bevbuild cache prune --max-size <size>`');
  }
  const jobs = v.jobs === undefined ? undefined : Number(v.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) return fail('usage', `expected -j/--jobs to be a positive integer, got "${v.jobs}"`);
  const format = v.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot' && format !== 'json') return fail('usage', `expected --format mermaid|dot|json, got "${format}"`);
  let maxSize: number | undefined;
  if (v['max-size'] !== undefined) {
    const s = parseSize(v['max-size']);
    if (s === undefined) return fail('usage', `expected --max-size like 500M, 20G or a byte count, got "${v['max-size']}"`);
    maxSize = s;
  }
  if (command === 'cache' && maxSize === undefined) return fail('usage', 'expected `bevbuild cache prune --max-size <size>` (e.g. 20G)');
  // No defaults here: a default would always beat the config's `remote` (see remote-setup.ts).
  const download = v['remote-download'] ?? process.env['BEVBUILD_REMOTE_DOWNLOAD'];
  if (download !== undefined && download !== 'minimal' && download !== 'all') {
    return fail('usage', `expected --remote-download (or BEVBUILD_REMOTE_DOWNLOAD) minimal|all, got "${download}"`);
  }
  const uploadEnv = process.env['BEVBUILD_REMOTE_UPLOAD'];
  if (uploadEnv !== undefined && uploadEnv !== '' && uploadEnv !== '0' && uploadEnv !== '1') {
    return fail('usage', `expected BEVBUILD_REMOTE_UPLOAD=1 (upload) or 0 (read-only), got "${uploadEnv}"`);
  }
  const upload = v['remote-upload'] ?? (uploadEnv === '1' ? true : uploadEnv === '0' ? false : undefined);
  if (v.rebuild && (command !== 'audit' || pos.length === 0)) return fail('usage', 'expected `bevbuild audit --rebuild <target> [--nodes <glob>]`');
  if (command === 'lineage' && pos.length === 0 && v.uses === undefined) return fail('usage', 'expected a target (`bevbuild lineage deploy/kitti/second`) or `bevbuild lineage --uses <path>`');
  if ((command === 'why' || command === 'watch') && pos.length === 0) return fail('usage', `expected a target: bevbuild ${command} <target>`);
  if (command === 'provenance' && pos.length === 0) return fail('usage', 'expected a target: bevbuild provenance <target> > bundle.jsonl');
  const port = v.port === undefined ? undefined : Number(v.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) return fail('usage', `expected --port to be a port number (0–65535; omit it for a free port), got "${v.port}"`);
  if (command === 'verify' && pos.length !== 2) return fail('usage', 'expected `bevbuild verify <bundle.jsonl> <dir> --trusted-key <key.pub.pem>`');
  return ok({
    command,
    targets: pos,
    root: findWorkspaceRoot(resolve(v.C ?? '.')),
    jobs,
    keepGoing: v['keep-going'] ?? false,
    dryRun: v['dry-run'] ?? false,
    force: v.force ?? false,
    stream: (v.stream || v.verbose) ?? false,
    helpTopic,
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    format,
    maxSize,
    remoteUrl: v.remote ?? process.env['BEVBUILD_REMOTE_URL'],
    remoteUpload: upload,
    remoteDownload: download,
    all: v.all ?? false,
    formatGiven: v.format !== undefined,
    uses: v.uses,
    rebuild: v.rebuild ?? false,
    nodes: v.nodes,
    trustedKeys: v['trusted-key'] ?? [],
    port,
    allowBuild: v['allow-build'] ?? false,
  });
}

export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(s.trim());
  if (!m) return undefined;
  const mult = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4}[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * mult);
}

export const HELP = `bevbuild — a content-hash cached artifact graph for BEVFusion: dataset → checkpoints →
ONNX → INT8 OpenVINO IR → deploy, gated by a native INT8-vs-FP32 check.

Usage
  bevbuild [build] <target…>     build targets (ids like deploy/kitti/second or a sweep point's
                                 train/kitti/second@lr=1e-4,ep=3, globs like 'deploy/**', 'train/x@*')
  bevbuild status [target…]      what is fresh, what would rebuild and why
  bevbuild why <target>          what changed since the last good build, down to the root cause
  bevbuild graph [target] --format mermaid|dot|json
  bevbuild audit <target…>       verify workspace outputs and store objects against their records
  bevbuild audit --rebuild <target> [--nodes <glob>]
                                 re-run it in a scratch workspace ignoring caches; compare outputs
                                 byte for byte, then by meaning (ONNX, OpenVINO IR, checkpoints)
  bevbuild lineage <target>      what it was made from: data, configs, code commits, toolchains
                                 (--json, --format mermaid); --uses <path>: which deploy dirs used it
  bevbuild provenance <target>   print the signed provenance bundle of the target's closure (JSON lines)
  bevbuild verify <bundle> <dir> check a deploy dir against a bundle offline (--trusted-key <pub.pem>)
  bevbuild clean [target…]       delete workspace outputs (the store keeps them: the next build restores)
  bevbuild cache prune --max-size 20G
  bevbuild watch <target…>       rebuild when inputs change (Ctrl-C to stop)
  bevbuild ui [target…]          the graph, its state, validation reports and past runs in a browser
                                 (127.0.0.1 only; --port <n>, --allow-build)

Options
  -C <dir>                 use the workspace at or above <dir> (default: found from the current directory)
  -j, --jobs <n>           cpu slots (default: pools.cpu of the config, else the number of cores)
  -k, --keep-going         keep building independent nodes after a failure
  -n, --dry-run            print what would run or restore, with reasons; run nothing (-v: fresh too)
  -B, --force              run the selected targets even if fresh or cached (not their dependencies)
      --stream             show running tools' output, prefixed [node-id] (-v implies it)
      --json               NDJSON events on stdout; last line {"type":"summary",…}
  -v, --verbose            print fresh nodes and info lines too
      --remote <url>       Bazel-HTTP remote cache (env BEVBUILD_REMOTE_URL; default: remote.url
                           of the config); read-only unless
      --remote-upload      (env BEVBUILD_REMOTE_UPLOAD=1; 0 forces read-only; default: remote.upload
                           of the config, else off) — meant for trusted CI
      --remote-download minimal|all   fetch only what targets need or everything
                           (env BEVBUILD_REMOTE_DOWNLOAD; default: remote.download, else minimal)
      --all                (clean) also delete the store, state, envs and logs
      --trusted-key <pem>  (verify) a public key to accept (repeatable; env BEVBUILD_TRUSTED_KEYS)
  -V, --version            print the version

Examples
  bevbuild deploy/kitti/second              build the KITTI Pipeline-B deploy directory
  bevbuild -n --json 'deploy/**'            plan every deploy target as JSON lines
  bevbuild why int8/kitti/second            why would the INT8 model rebuild?
  bevbuild graph deploy/kitti/second --format mermaid > graph.md

Exit codes: 0 success · 1 a node failed · 2 usage or configuration error · 130 interrupted.
\`bevbuild <command> --help\` describes one command. Colours: NO_COLOR=1 turns them off, FORCE_COLOR=1 on.
Faster repeated commands: export BEVBUILD_DAEMON=1 (a background engine per directory and environment;
README: "The daemon"). BEVBUILD_TIMING=1 prints where a command's time went.
Docs: README.md (quick start, configuration reference, troubleshooting).`;
