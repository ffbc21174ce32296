import type { Command } from 'commander';
import { cocoStatsJson, evalCocoFiles } from '../../apis/eval-coco';

interface EvalCocoCliOptions {
  gt: string;
  results: string;
  iouType: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval-coco')
    .description("evaluate COCO-format results against a COCO annotation file, with pycocotools' COCOeval numbers")
    .requiredOption('--gt <file>', 'ground truth (COCO annotation JSON)')
    .requiredOption('--results <file>', 'results JSON: [{image_id, category_id, score, bbox | segmentation | keypoints}]')
    .requiredOption('--iou-type <type>', 'bbox, segm or keypoints')
    .option('--json', 'print one JSON object {iou_type, stats, stats_named} instead of the table')
    .addHelpText(
      'after',
      `
The numbers are pycocotools' (default Params; keypoints: the categories that define keypoints).
As in COCO.loadRes, the first record decides how areas are derived: with a 'bbox' the area is
w*h even for segm; drop 'bbox' from mask results to use mask areas.

Examples:
  $ hrdet eval-coco --gt instances_val2017.json --results bbox.json --iou-type bbox
  $ hrdet eval-coco --gt person_keypoints_val2017.json --results kpts.json --iou-type keypoints --json`,
    )
    .action((opts: EvalCocoCliOptions) => {
      const r = evalCocoFiles(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(cocoStatsJson(r))}\n` : `${r.table}\n`);
    });
}
