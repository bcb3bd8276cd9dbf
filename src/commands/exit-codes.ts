/** Exit codes (DESIGN.md decision 8): 0 success, 1 a node failed, 2 usage or configuration error, 130 interrupted. */
export const EXIT = {ok: 0, failed: 1, usage: 2, interrupted: 130} as const;
