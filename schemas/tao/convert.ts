/**
 * `BEVFusionDataConvertExpConfig`, the spec of `bevfusion convert` (reference §1.7): flat, closed,
 * with the 5.5 defaults. For KITTI the converter re-reads its pkls from `root_dir`, so
 * `results_dir` must equal `root_dir` (§5); TAO3D needs `per_sequence` + `sequence_list`.
 */
import {z} from 'zod';
import {bool, oneOf, str} from './shared.ts';

export const convertSchema = z
  .object({
    dataset: oneOf(['kitti', 'tao3d'], 'kitti'),
    root_dir: str('/data/'),
    results_dir: str('/data/'),
    /** `null` → `kitti_person` (kitti) / `tao3d` (tao3d). */
    output_prefix: z.string().nullable().default(null),
    mode: oneOf(['training', 'validation', 'testing'], 'training'),
    with_plane: bool(false),
    per_sequence: bool(false),
    is_synthetic: bool(false),
    dimension_order: str('hwl'),
    merge_only: bool(false),
    sequence_list: z.string().nullable().default(null),
  })
  .strict()
  .superRefine((c, ctx) => {
    const norm = (p: string) => p.replace(/\/+$/, '');
    if (c.dataset === 'kitti' && norm(c.results_dir) !== norm(c.root_dir)) {
      ctx.addIssue({code: 'custom', path: ['results_dir'], message: `must equal root_dir ("${c.root_dir}") for kitti: the point-cloud reducer re-reads the pkls from root_dir (reference §5)`});
    }
    if (c.dataset === 'tao3d' && !(c.per_sequence && c.sequence_list)) {
      ctx.addIssue({code: 'custom', path: ['sequence_list'], message: 'tao3d needs per_sequence: true and a sequence_list file (the converter\'s sanity check raises otherwise)'});
    }
  });

export type ConvertInput = z.input<typeof convertSchema>;
export type Convert = z.output<typeof convertSchema>;
