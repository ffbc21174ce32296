/** One image of a COCO-format set and its annotations (without ids: ids are given in order). */
export interface CocoImageRecord<A> {
  file_name: string;
  annotations: A[];
}

/**
 * A COCO annotation file: images numbered from 1 in order, annotations numbered from 1 in
 * order, each with its `image_id`; `info` says what made it.
 */
export function cocoJson<A extends object>(description: string, records: CocoImageRecord<A>[], height: number, width: number, categories: object[]): string {
  const images = records.map((r, i) => ({ id: i + 1, file_name: r.file_name, height, width }));
  let id = 0;
  const annotations = records.flatMap((r, i) => r.annotations.map((a) => ({ id: ++id, image_id: i + 1, ...a })));
  const info = { description, version: '1.0', contributor: 'hrdet make-dataset synthetic' };
  return JSON.stringify({ info, licenses: [], images, annotations, categories });
}
