-- Sightline project schema, version 1.
-- Geometry is stored in displayed image pixels (after EXIF rotation). Times are Unix epoch milliseconds.
-- Never edit this file once landed: add 0002_....sql instead.

CREATE TABLE project_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Folders that hold the project's images. Images are reached only through a root id + a relative path.
CREATE TABLE image_roots (
  id       INTEGER PRIMARY KEY,
  path     TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE images (
  id           INTEGER PRIMARY KEY,
  root_id      INTEGER NOT NULL REFERENCES image_roots(id) ON DELETE CASCADE,
  rel_path     TEXT NOT NULL,            -- '/'-separated, relative to the root
  width        INTEGER NOT NULL,         -- as displayed, after EXIF rotation
  height       INTEGER NOT NULL,
  orientation  INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
  format       TEXT NOT NULL,
  byte_size    INTEGER NOT NULL,
  mtime_ms     INTEGER NOT NULL,
  content_hash TEXT NOT NULL,            -- sha256 of the file's bytes, hex
  status       TEXT NOT NULL DEFAULT 'new'
               CHECK (status IN ('new', 'in_progress', 'done', 'review', 'rejected')),
  missing      INTEGER NOT NULL DEFAULT 0 CHECK (missing IN (0, 1)),
  -- kept by the triggers on annotations below: the grid's badge and the labeled filter read it without a
  -- per-row count (a NOT EXISTS over 1M images took 3.3 s; see docs/benchmarks.md)
  annotation_count INTEGER NOT NULL DEFAULT 0,
  added_at     INTEGER NOT NULL,
  UNIQUE (root_id, rel_path)
) STRICT;
CREATE INDEX images_content_hash ON images (content_hash);
-- status filter and sort in path order without a temp sort of every matching row
CREATE INDEX images_status_path ON images (status, root_id, rel_path);
CREATE INDEX images_missing ON images (id) WHERE missing = 1;
CREATE INDEX images_unlabeled ON images (root_id, rel_path) WHERE annotation_count = 0;
CREATE INDEX images_mtime ON images (mtime_ms);
CREATE INDEX images_size ON images (byte_size);

CREATE TABLE label_classes (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  color      TEXT NOT NULL,
  hotkey     TEXT UNIQUE,
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE models (
  id       INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  kind     TEXT NOT NULL,
  file     TEXT NOT NULL,
  sha256   TEXT NOT NULL,
  manifest TEXT NOT NULL DEFAULT '{}',  -- JSON
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE model_runs (
  id          INTEGER PRIMARY KEY,
  model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  parameters  TEXT NOT NULL DEFAULT '{}', -- JSON: thresholds, input size, ...
  provider    TEXT,                       -- the execution provider the session really got
  status      TEXT NOT NULL DEFAULT 'running'
              CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  error       TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;

-- Read-only model output; accepting one copies it into annotations.
CREATE TABLE predictions (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES model_runs(id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  class_id INTEGER REFERENCES label_classes(id) ON DELETE SET NULL,
  label    TEXT,                          -- the model's class name, kept even without a project class
  kind     TEXT NOT NULL CHECK (kind IN ('box', 'polygon', 'mask', 'keypoints', 'caption', 'tag')),
  geometry TEXT NOT NULL,                 -- JSON
  mask     BLOB,                          -- RLE counts for masks
  score    REAL,
  extras   TEXT NOT NULL DEFAULT '{}'     -- JSON: beams, attention, suppressed candidates, ...
) STRICT;
CREATE INDEX predictions_image ON predictions (image_id, run_id);
CREATE INDEX predictions_run ON predictions (run_id);

CREATE TABLE annotations (
  id           INTEGER PRIMARY KEY,
  image_id     INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  class_id     INTEGER REFERENCES label_classes(id) ON DELETE SET NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('box', 'polygon', 'mask', 'keypoints', 'caption', 'tag')),
  geometry     TEXT NOT NULL,             -- JSON in image pixels
  mask         BLOB,                      -- RLE counts for masks
  attributes   TEXT NOT NULL DEFAULT '{}',
  origin       TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'model', 'model-edited')),
  derived_from INTEGER REFERENCES predictions(id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX annotations_image ON annotations (image_id);
CREATE INDEX annotations_class ON annotations (class_id);

CREATE TRIGGER annotations_count_insert AFTER INSERT ON annotations BEGIN
  UPDATE images SET annotation_count = annotation_count + 1 WHERE id = NEW.image_id;
END;
CREATE TRIGGER annotations_count_delete AFTER DELETE ON annotations BEGIN
  UPDATE images SET annotation_count = annotation_count - 1 WHERE id = OLD.image_id;
END;
CREATE TRIGGER annotations_count_move AFTER UPDATE OF image_id ON annotations WHEN NEW.image_id IS NOT OLD.image_id BEGIN
  UPDATE images SET annotation_count = annotation_count - 1 WHERE id = OLD.image_id;
  UPDATE images SET annotation_count = annotation_count + 1 WHERE id = NEW.image_id;
END;
