/**
 * Toolchain rule for a container image (e.g. the TAO or a deploy image). The identity is the
 * image digest: the reference must be pinned (`name@sha256:…`), because the engine cannot observe
 * what a mutable tag points at without running the engine — a moved tag would go unnoticed and
 * reuse stale results. The pinned digest is a param, so it enters the key of the env and thus of
 * every node using it. The probe (`docker image inspect`) checks the image is present and matches
 * the pin, and records its fingerprint; without a docker engine it fails with a clear message.
 */
import {defineRule, z} from '../../src/index.ts';
import {nodeTool, toolPath} from '../intel/node-tool.ts';
import {pinnedDigest} from './image-inspect.ts';

const PROBE = toolPath(import.meta.url, './tools/inspect-image.ts');

export const containerImage = defineRule({
  name: 'env/container-image',
  version: 1,
  description: 'A container image pinned by digest, verified with `docker image inspect`',
  params: z
    .object({
      name: z.string().regex(/^[a-z0-9_-]+$/),
      image: z.string().refine((r) => pinnedDigest(r) !== undefined, 'pin the image by digest (name@sha256:<64 hex>): a tag can move without bevbuild noticing'),
      engine: z.enum(['docker', 'podman']).default('docker'),
    })
    .strict(),
  inputs: () => [PROBE],
  outputs: (p) => [`.bevbuild/envs/${p.name}/image.json`],
  argv: (p, ctx) => [...nodeTool(PROBE), '--engine', p.engine, '--image', p.image, '--out', ctx.out(`.bevbuild/envs/${p.name}/image.json`)],
  providesEnv: (p) => ({BEVBUILD_CONTAINER_IMAGE: p.image, BEVBUILD_CONTAINER_ENGINE: p.engine}),
});
