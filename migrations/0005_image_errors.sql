-- Sightline project schema, version 5: error ranking (issue 9).
-- Never edit this file once landed: add 0006_....sql instead.

-- Per image, how a run did against the labels at its last evaluation (`eval.run`), so the library can sort worst
-- first without evaluating again: false positives + misses, the mean IoU of the matches, a segmenter's per-image mIoU,
-- a captioner's per-image CIDEr-D. NULL where the number is undefined for that image.
CREATE TABLE image_errors (
  run_id        INTEGER NOT NULL REFERENCES model_runs(id) ON DELETE CASCADE,
  image_id      INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  errors        INTEGER,
  mean_iou      REAL,
  miou          REAL,
  caption_score REAL,
  PRIMARY KEY (run_id, image_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX image_errors_image ON image_errors (image_id);
