/** Builds the remote-cache bridge from flags, env and `remote` in bevbuild.config.ts (flags win). */
import type {Options} from '../cli-options.ts';
import type {RemoteConfig} from '../config/define-config.ts';
import type {OpenWorkspace} from '../engine/open-workspace.ts';
import type {RemoteBridge} from '../engine/remote-bridge.ts';
import {loadTrustedKeys} from '../provenance/keys.ts';
import {redactUrlCredentials} from '../../cache/remote-auth.ts';

/** What the remote cache is used for: flags and env first, then `remote` of the config, then defaults. */
export interface RemoteSettings {
  url: string;
  upload: boolean;
  download: 'minimal' | 'all';
  timeoutMs: number;
}

/** Undefined when no remote is configured. Options carry undefined for what was not given. */
export function remoteSettings(opts: Pick<Options, 'remoteUrl' | 'remoteUpload' | 'remoteDownload'>, config: RemoteConfig | undefined): RemoteSettings | undefined {
  const url = opts.remoteUrl ?? config?.url;
  if (!url) return undefined;
  return {
    url,
    upload: opts.remoteUpload ?? config?.upload ?? false,
    download: opts.remoteDownload ?? config?.download ?? 'minimal',
    timeoutMs: Number(process.env['BEVBUILD_REMOTE_TIMEOUT_MS'] ?? '') || config?.timeoutMs || 30_000,
  };
}

export async function makeRemote(opts: Options, ws: OpenWorkspace): Promise<RemoteBridge | undefined> {
  const settings = remoteSettings(opts, ws.config.remote);
  if (!settings) return undefined;
  if (!/^https?:$/.test(parseUrl(settings.url)?.protocol ?? '')) {
    // A cache is an optimization: a bad URL costs a warning, not the build (and never shows its password).
    ws.reporter.log({type: 'warning', message: `remote cache not used: ${JSON.stringify(redactUrlCredentials(settings.url))} is not an http:// or https:// URL (check --remote, BEVBUILD_REMOTE or remote.url)`});
    return undefined;
  }
  const trusted = loadTrustedKeys(ws.graph.root, ws.config.provenance);
  if (!trusted.ok) {
    // Refusing the remote is the safe reading of "trusted keys configured but unusable".
    ws.reporter.log({type: 'warning', message: `remote cache not used: ${trusted.error.message}`});
    return undefined;
  }
  const {httpRemoteBridge} = await import('../engine/http-remote-bridge.ts');
  return httpRemoteBridge({
    ...settings,
    store: ws.store,
    warn: (message) => ws.reporter.log({type: 'warning', message}),
    trustedKeys: trusted.value,
  });
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
