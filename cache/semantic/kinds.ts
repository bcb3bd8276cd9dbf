/**
 * The kinds of files with a semantic digest (see `semantic-digest.ts`); a rule names them in
 * `semantic`. `config-dump`: a merged config a tool writes beside its results (torchpack's
 * `configs.yaml`, mmcv's dumped config) without the top-level `run_dir`/`work_dir`, which record
 * where that run wrote (a per-run staging path). `volatile`: a measurement or a report of one (timings, a report page stamped with
 * them): only its presence is part of what the artifact means, never its bytes.
 */
export const SEMANTIC_KINDS = ['onnx', 'openvino-ir', 'checkpoint', 'config-dump', 'volatile'] as const;
export type SemanticKind = (typeof SEMANTIC_KINDS)[number];
