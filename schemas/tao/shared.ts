/**
 * Building blocks for the TAO 5.5 BEVFusion spec schemas (reference tao-bevfusion-5.5.md §1).
 * TAO parses specs by merging YAML onto Python dataclasses (Hydra "automatic schema matching", §1.1),
 * so the dataclasses are the effective schema: a dataclass is a closed object (an unknown key is a
 * hard error in the container), a `Dict` field is open (its keys are not validated), `Optional[...]`
 * admits `null`, and anything else rejects `null`. These helpers say which is which.
 */
import {z} from 'zod';

/**
 * A 5.5 dataclass: unknown keys rejected as the container does (`Key 'x' not in '<Name>'`), and
 * defaults applied to omitted fields. `prefault` (not `default`) so an omitted section still gets
 * every nested default: the emitted spec never relies on the container's defaults (§6.3 item 5).
 */
export function dataclass<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).strict().prefault({} as never);
}

/** A 5.5 `Dict[str, Any]` field: open, merged key by key onto its default by Hydra (§1.1). */
export function dict(def: Record<string, unknown>) {
  return z.record(z.string(), z.unknown()).default(def);
}

/** A string enum that 5.5 only documents (`valid_options` is metadata, §1.1): bevbuild enforces it. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, def: T[number]) {
  return z.enum(values).default(def);
}

export const int = (def: number) => z.number().int().default(def);
export const posInt = (def: number) => z.number().int().min(1).default(def);
export const float = (def: number) => z.number().default(def);
export const bool = (def: boolean) => z.boolean().default(def);
export const str = (def: string) => z.string().default(def);
export const floats = (def: number[]) => z.array(z.number()).default(def);
export const ints = (def: number[]) => z.array(z.number().int()).default(def);
/** `Optional[str] = None`: null is meaningful here (§1.6: `''` would become `load_from=''`). */
export const optStr = () => z.string().nullable().default(null);
