/**
 * A real one-node SLURM cluster on localhost (munged + slurmctld + slurmd, Debian `slurm-wlm`
 * 22.05) in a temp directory with its own munge key and free ports, so tests submit real jobs
 * with `sbatch`. Clients find it through `SLURM_CONF` in `env`. Throws (the test fails, never
 * silently passes) when the daemons are missing or do not come up: CI installs them with
 * `.ci/install-servers.sh`.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {freePort} from './nginx-rig.ts';

export interface SlurmRig {
  /** Directory for job files; world-readable so jobs (run as root here) can use it. */
  dir: string;
  /** Environment for SLURM client commands (`SLURM_CONF`). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const DAEMONS = ['mungekey', 'munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'scancel', 'sinfo', 'squeue'];

function which(cmd: string): string | undefined {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(d, cmd))) return join(d, cmd);
  }
  return undefined;
}

function tail(path: string, n = 8): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').slice(-n).join('\n') : '(no log)';
}

/** Starts the cluster and waits until `sinfo` shows the node idle; stop it in a `finally`. */
export async function startSlurm(): Promise<SlurmRig> {
  const missing = DAEMONS.filter((d) => !which(d));
  if (missing.length) throw new Error(`SLURM test cluster unavailable, missing ${missing.join(', ')}: run .ci/install-servers.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['state', 'spool', 'jobs']) mkdirSync(join(dir, d));
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  const lines = [
    'ClusterName=bevbuildtest',
    'SlurmctldHost=localhost',
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    // cred_expire also delays a requeued job's restart (default 120 s); resume tests requeue jobs.
    `AuthInfo=socket=${dir}/munge.socket,cred_expire=10`,
    'MpiDefault=none',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerType=sched/backfill',
    'ReturnToService=2',
    // Keep finished jobs visible to `scontrol show job` long enough for the tests to read them.
    'MinJobAge=600',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    'NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN',
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  const env = {SLURM_CONF: conf};
  const children: ChildProcess[] = [];
  const stop = async () => {
    // Cancel this cluster's jobs first: slurmstepd and the job's processes outlive slurmd.
    const clientEnv = {...process.env, ...env};
    if (children.length === 3 && which('scancel')) {
      spawnSync(which('scancel')!, ['--user', userInfo().username], {env: clientEnv, timeout: 10_000});
      await waitFor(() => {
        const q = spawnSync(which('squeue')!, ['-h', '-o', '%i'], {encoding: 'utf8', env: clientEnv, timeout: 10_000});
        return q.status !== 0 || q.stdout.trim() === '';
      }, 10_000, () => '').catch(() => {});
    }
    // Reverse start order; each by its own PID.
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        c.kill('SIGTERM');
        const end = Date.now() + 5000;
        while (c.exitCode === null && c.signalCode === null && Date.now() < end) await sleep(50);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    rmSync(dir, {recursive: true, force: true});
  };
  try {
    const key = spawnSync(which('mungekey')!, ['--create', `--keyfile=${dir}/munge.key`, '--bits=1024'], {encoding: 'utf8'});
    if (key.status !== 0) throw new Error(`mungekey failed: ${key.stderr}`);
    const start = (bin: string, args: string[]) => {
      const c = spawn(which(bin)!, args, {stdio: 'ignore', env: {...process.env, ...env}});
      children.push(c);
      return c;
    };
    start('munged', ['-F', '--force', `--key-file=${dir}/munge.key`, `--socket=${dir}/munge.socket`,
      `--pid-file=${dir}/munged.pid`, `--log-file=${dir}/munged.log`, `--seed-file=${dir}/munged.seed`]);
    await waitFor(() => existsSync(`${dir}/munge.socket`), 10_000, () => `munged did not start:\n${tail(`${dir}/munged.log`)}`);
    start('slurmctld', ['-D', '-i', '-f', conf]);
    start('slurmd', ['-D', '-N', 'localhost', '-f', conf]);
    await waitFor(
      () => {
        const r = spawnSync(which('sinfo')!, ['-h', '-N', '-o', '%t'], {encoding: 'utf8', env: {...process.env, ...env}});
        return r.status === 0 && r.stdout.trim() === 'idle';
      },
      30_000,
      () => `SLURM node never became idle.\nslurmctld.log:\n${tail(`${dir}/slurmctld.log`)}\nslurmd.log:\n${tail(`${dir}/slurmd.log`)}`,
    );
    for (const c of children) {
      if (c.exitCode !== null) throw new Error(`a SLURM daemon exited early (code ${c.exitCode})`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {dir: join(dir, 'jobs'), env, stop};
}

async function waitFor(check: () => boolean, ms: number, why: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(why());
    await sleep(200);
  }
}
