/**
 * The kinds of files with a semantic digest (see `semantic-digest.ts`); a rule names them in
 * `semantic`. `volatile`: a measurement or a report of one (timings, a report page stamped with
 * them): only its presence is part of what the artifact means, never its bytes.
 */
export const SEMANTIC_KINDS = ['onnx', 'openvino-ir', 'checkpoint', 'volatile'] as const;
export type SemanticKind = (typeof SEMANTIC_KINDS)[number];
