/**
 * A small demo-shaped workspace for the `bevbuild ui` suites: two datasets × two pipelines, each
 * data → train → onnx → int8 → validate → deploy (22 nodes of plain shell commands, no toolchain),
 * where every `validate/*` writes a validation.json of the native gate's real shape
 * (native/validate.ts `ValidationResult`) and, like the gate, exits 1 when it fails.
 */
import type {ValidationResult} from '../../native/validate.ts';
import type {FrameVerdict} from '../../native/compare.ts';
import {resolveParams} from '../../native/decode-params.ts';
import {shConfig, type WorkspaceRig} from './workspace-rig.ts';

export const DATASETS = ['kitti', 'v2x'] as const;
export const PIPELINES = ['second', 'pointpillars'] as const;
/** The gate that fails, and the frame that makes it fail. */
export const FAILING_GATE = 'validate/v2x/pointpillars';
export const FAILING_FRAME = '000007';

/** A gate report of the real shape: 8 frames; `failFrame` has 4 boxes differing (threshold 2). */
export function gateReport(failFrame: string | undefined): ValidationResult {
  const frames: FrameVerdict[] = Array.from({length: 8}, (_, i) => {
    const id = String(i).padStart(6, '0');
    const bad = id === failFrame;
    const fp32Count = 10 + i;
    const matched = bad ? fp32Count - 4 : fp32Count - (i % 2);
    return {
      id,
      fp32Count,
      int8Count: matched + (bad ? 1 : 0),
      matched,
      missed: fp32Count - matched,
      extra: bad ? 1 : 0,
      boxDiff: fp32Count - matched,
      maxAbsHeatmapDiff: 0.012 + i / 1000,
      pass: !bad,
      ...(bad ? {reason: '4 boxes differ (4 FP32 boxes unmatched, 1 INT8 box unmatched); at most 2 may'} : {}),
    };
  });
  const fp32 = frames.reduce((s, f) => s + f.fp32Count, 0);
  const matched = frames.reduce((s, f) => s + f.matched, 0);
  const worst = frames.reduce((w, f) => (f.boxDiff > w.boxDiff ? f : w), frames[0]!);
  const failed = frames.filter((f) => !f.pass).length;
  return {
    format: 2,
    pass: failed === 0,
    ...(failed ? {reasons: [`${failed} of ${frames.length} frames have more than 2 differing boxes (worst ${worst.id}: ${worst.boxDiff})`]} : {}),
    pipeline: 'unified',
    openvinoVersion: '2025.3.0',
    device: 'CPU',
    params: {...resolveParams('kitti', {}), preMax: 1000},
    criteria: {maxBoxDiff: 2, minRecall: 0.9, matchRadiusM: 1},
    margins: {
      boxDiff: {threshold: 2, worst: worst.boxDiff, worstFrame: worst.id, margin: 2 - worst.boxDiff},
      recall: {threshold: 0.9, value: matched / fp32, margin: matched / fp32 - 0.9, boxes: Math.floor(matched - 0.9 * fp32)},
    },
    models: {fp32: [{path: 'out/onnx/model.onnx', inputs: [], outputs: []}], int8: [{path: 'out/int8/model.xml', inputs: [], outputs: []}]},
    frames,
    totals: {frames: frames.length, passed: frames.length - failed, failed, fp32Boxes: fp32, int8Boxes: frames.reduce((s, f) => s + f.int8Count, 0), matchedBoxes: matched, recall: matched / fp32, maxAbsHeatmapDiff: 0.019},
  };
}

/**
 * The workspace's files. `waitFor`: train/v2x/second waits until that file exists before it works,
 * so a test can see it running for as long as it needs to (no timing involved).
 */
export function uiWorkspaceFiles(opts: {waitFor?: string} = {}): Record<string, string> {
  const lines: string[] = [];
  const files: Record<string, string> = {};
  for (const ds of DATASETS) {
    files[`src/${ds}.txt`] = `${ds} frames\n`;
    lines.push(`    'data/${ds}/info': sh({script: 'cp "$1" "$2"', inputs: ['src/${ds}.txt'], outputs: ['out/data/${ds}/info.pkl']}),`);
    for (const p of PIPELINES) {
      const k = `${ds}/${p}`;
      files[`src/${ds}-${p}.cfg`] = `epochs: 1\n`;
      files[`src/gate/${ds}-${p}.json`] = JSON.stringify(gateReport(`validate/${k}` === FAILING_GATE ? FAILING_FRAME : undefined), null, 2);
      lines.push(
        `    'train/${k}': sh({script: '${opts.waitFor && k === 'v2x/second' ? `while [ ! -e ${opts.waitFor} ]; do sleep 0.05; done; ` : ''}cat "$1" "$2" > "$3"', inputs: ['out/data/${ds}/info.pkl', 'src/${ds}-${p}.cfg'], outputs: ['out/train/${k}/epoch_1.pth']}),`,
        `    'onnx/${k}': sh({script: 'echo onnx | cat - "$1" > "$2"', inputs: ['out/train/${k}/epoch_1.pth'], outputs: ['out/onnx/${k}/model.onnx']}),`,
        `    'int8/${k}': sh({script: 'echo int8 | cat - "$1" > "$2"', inputs: ['out/onnx/${k}/model.onnx'], outputs: ['out/int8/${k}/model.xml']}),`,
        // Like the native gate: validation.json is written either way; exit 1 when the gate fails.
        `    'validate/${k}': sh({script: 'cp "$2" "$3"; if grep -q \\'"pass": false\\' "$3"; then echo "INT8 gate failed: frame ${FAILING_FRAME}" >&2; exit 1; fi', inputs: ['out/int8/${k}/model.xml', 'src/gate/${ds}-${p}.json'], outputs: ['out/validate/${k}/validation.json']}),`,
        `    'deploy/${k}': sh({script: 'mkdir -p "$(dirname "$3")"; cp "$1" "$3"', inputs: ['out/int8/${k}/model.xml', 'out/validate/${k}/validation.json'], outputs: ['out/deploy/${k}/model.xml']}),`,
      );
    }
  }
  return {'bevbuild.config.ts': shConfig(lines.join('\n')), ...files};
}

/** Writes the workspace into `rig`. */
export function writeUiWorkspace(rig: WorkspaceRig): void {
  rig.write(uiWorkspaceFiles());
}

/** Node count of the workspace. */
export const UI_NODES = DATASETS.length * (1 + PIPELINES.length * 5);
