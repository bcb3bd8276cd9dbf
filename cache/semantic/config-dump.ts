/**
 * The semantic view of a dumped config (torchpack `configs.yaml`, an mmcv `*.py` dump, JSON): its
 * lines, without the top-level entries that record where the run wrote (`run_dir`, `work_dir`) —
 * a per-run staging path that differs on every run of the same tool on the same inputs — and the
 * checkpoint an interrupted run was resumed from (`resume_from`: a resumed run is the same training).
 */
import type {View} from './view.ts';

const RUN_PATH = /^["']?(run_dir|work_dir|resume_from)["']?\s*[:=]/;

export function configDumpView(text: string): View {
  return text.split(/\r?\n/).filter((line) => !RUN_PATH.test(line)).map((line) => line.trimEnd());
}
