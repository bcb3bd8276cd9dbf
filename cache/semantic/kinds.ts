/** The kinds of files with a semantic digest (see `semantic-digest.ts`); a rule names them in `semantic`. */
export const SEMANTIC_KINDS = ['onnx', 'openvino-ir', 'checkpoint'] as const;
export type SemanticKind = (typeof SEMANTIC_KINDS)[number];
