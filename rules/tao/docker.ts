/**
 * The `docker run` command line every TAO 5.5 rule emits (reference §2.3): the image's `bevfusion`
 * console script with `-e <spec>`, GPUs chosen by id from bevbuild's gpu pool, shared memory and
 * ulimits for the DataLoader workers (§7 item 21), the caller's uid so outputs are not root-owned,
 * with the identity and cache variables that uid needs (§7 items 13–14), telemetry off (§7 item 20).
 *
 * `--init`: bevbuild stops a node by signalling the `docker run` client, which forwards the signal
 * (sig-proxy) to the container's PID 1; without an init, PID 1 is the Python wrapper, which has no
 * SIGTERM handler and — as PID 1 — ignores it, so the container would outlive Ctrl-C.
 * No `-t`: the wrapper rewrites `\r` progress bars on a TTY (§2.3).
 */
import {userInfo} from 'node:os';
import {z, type RunContext} from '../../src/index.ts';
import {TAO_IMAGE} from '../../schemas/tao/spec-builder.ts';

/** Where things are inside the container (the specs refer to these). */
export const IN_CONTAINER = {data: '/data', results: '/results', specs: '/specs', checkpoints: '/checkpoints', cache: '/cache'} as const;

export interface Mount {
  host: string;
  container: string;
  readOnly: boolean;
}

/** Rule params every TAO rule shares. */
export const dockerParams = {
  /** The TAO image; BEVFusion (mmdet3d) exists only in the 5.5 pyt image (§7 item 22). */
  image: z.string().min(1).default(TAO_IMAGE),
  /** The docker client (a name on PATH or a path). */
  docker: z.string().min(1).default('docker'),
  /** `uid:gid` for `--user`; default: the user running bevbuild. `root` runs as the image's user (outputs root-owned). */
  user: z.string().regex(/^(root|\d+:\d+)$/, 'uid:gid, or root').optional(),
  /**
   * A host directory (must exist, writable by `user`) kept across runs for TAO's caches and the
   * Swin-T download (`TORCH_HOME`; pre-seed `torch/hub/checkpoints/swin_tiny_patch4_window7_224.pth`
   * for offline runs, §7 item 12). Without it the caches live in the container's /tmp.
   */
  cacheDir: z.string().optional(),
};

export interface DockerRunOpts {
  docker: string;
  image: string;
  /** Host GPU ids from bevbuild's pool; empty only while computing keys (GPU ids are not keyed). */
  gpus: string[];
  user?: string | undefined;
  /** Absolute host path. */
  cacheDir?: string | undefined;
  mounts: Mount[];
  /** The command run in the container, e.g. `['bevfusion', 'train', '-e', '/specs/train.yaml']`. */
  command: string[];
}

/** The options of a rule's params and run context (paths resolved against the workspace). */
export function dockerOpts(p: {docker: string; image: string; user?: string | undefined; cacheDir?: string | undefined}, ctx: RunContext, mounts: Mount[], command: string[]): DockerRunOpts {
  return {docker: p.docker, image: p.image, gpus: ctx.gpus, user: p.user, cacheDir: p.cacheDir === undefined ? undefined : ctx.in(p.cacheDir), mounts, command};
}

function hostUser(): string {
  const u = userInfo();
  return `${u.uid}:${u.gid}`;
}

export function dockerRunArgv(o: DockerRunOpts): string[] {
  const user = o.user ?? hostUser();
  const cache = o.cacheDir ? IN_CONTAINER.cache : '/tmp/.cache';
  // docker parses --gpus as CSV: `device=0,1` without the inner quotes would split at the comma.
  const devices = o.gpus.length ? o.gpus.join(',') : '$GPUS';
  const env: [string, string][] = [
    ['TAO_TOOLKIT_CACHE', cache], // bevfusion/__init__.py points XDG_CACHE_HOME, HF_HOME, MPLCONFIGDIR here
    ['TORCH_HOME', `${cache}/torch`],
    ['TELEMETRY_OPT_OUT', 'yes'],
  ];
  if (user !== 'root') env.push(['HOME', '/tmp'], ['USER', 'bevbuild'], ['LOGNAME', 'bevbuild']); // getpass.getuser() needs one for a uid without passwd entry
  const mounts = o.cacheDir ? [...o.mounts, {host: o.cacheDir, container: IN_CONTAINER.cache, readOnly: false}] : o.mounts;
  return [
    o.docker,
    'run',
    '--rm',
    '--init',
    '--ipc=host',
    '--ulimit',
    'memlock=-1',
    '--ulimit',
    'stack=67108864',
    '--gpus',
    `"device=${devices}"`,
    ...(user === 'root' ? [] : ['--user', user]),
    ...env.flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ...mounts.flatMap((m) => ['-v', `${m.host}:${m.container}${m.readOnly ? ':ro' : ''}`]),
    o.image,
    ...o.command,
  ];
}
