// Runs on Node's module-hooks thread inside the daemon (registered by src/daemon/loaded-files.ts):
// reports every file the daemon loads as a module, with its stat stamp taken before it is read, so
// that a package edited after the daemon loaded it (npm link, a workspace package, a hand edit in
// node_modules) retires the daemon instead of running old code. Plain JavaScript: Node loads it as is.
import {statSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

/** The daemon's end of the channel (see loaded-files.ts). */
let port;

/** Called once with the data given to `register`. A `{flush}` message is echoed: everything reported before it has arrived. */
export function initialize(data) {
  port = data.port;
  port.on('message', (m) => port.postMessage(m));
}

/** Node's load hook: report, then load as usual. */
export async function load(url, context, next) {
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    let stamp = 'missing';
    try {
      const st = statSync(path);
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch {
      // reported as missing: the load itself will say why
    }
    port.postMessage({path, stamp});
  }
  return next(url, context);
}
