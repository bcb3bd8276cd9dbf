/** Builds the remote-cache bridge from flags, env and `remote` in bevbuild.config.ts (flags win). */
import type {Options} from '../cli-options.ts';
import type {OpenWorkspace} from '../engine/open-workspace.ts';
import type {RemoteBridge} from '../engine/remote-bridge.ts';
import {loadTrustedKeys} from '../provenance/keys.ts';

export async function makeRemote(opts: Options, ws: OpenWorkspace): Promise<RemoteBridge | undefined> {
  const url = opts.remoteUrl ?? ws.config.remote?.url;
  if (!url) return undefined;
  const trusted = loadTrustedKeys(ws.graph.root, ws.config.provenance);
  if (!trusted.ok) {
    // Refusing the remote is the safe reading of "trusted keys configured but unusable".
    ws.reporter.log({type: 'warning', message: `remote cache not used: ${trusted.error.message}`});
    return undefined;
  }
  const {httpRemoteBridge} = await import('../engine/http-remote-bridge.ts');
  return httpRemoteBridge({
    url,
    upload: opts.remoteUpload || (ws.config.remote?.upload ?? false),
    download: opts.remoteDownload ?? ws.config.remote?.download ?? 'minimal',
    timeoutMs: Number(process.env['BEVBUILD_REMOTE_TIMEOUT_MS'] ?? '') || ws.config.remote?.timeoutMs || 30_000,
    store: ws.store,
    warn: (message) => ws.reporter.log({type: 'warning', message}),
    trustedKeys: trusted.value,
  });
}
