-- Sightline project schema, version 2: the annotation editor.
-- Never edit this file once landed: add 0003_....sql instead.

-- Each image's undo history: one row per step (a gesture, a class edit), with every change's before and after
-- state, so undo and redo work after a reload, a crash or on another day. The undone steps of an image are always
-- its newest (a new step drops them), so undo takes the newest step with undone = 0 and redo the oldest with
-- undone = 1. `key` is made by the client, so a retried write is recognised and applied once.
CREATE TABLE edit_history (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after the newest steps are dropped
  image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  key        TEXT NOT NULL UNIQUE,
  label      TEXT NOT NULL,
  changes    TEXT NOT NULL,                     -- JSON: EditChange[] (common/api/contract.ts)
  undone     INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
  client     TEXT,                              -- the window that wrote the step
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX edit_history_image ON edit_history (image_id, seq);

-- Keys of steps no longer kept (trimmed past the per-image limit, or a redo branch a new step replaced), so a late
-- retry of one is still answered "already applied" instead of being applied twice. Pruned after 30 days.
CREATE TABLE edit_keys_retired (
  key        TEXT PRIMARY KEY,
  image_id   INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  retired_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX edit_keys_retired_at ON edit_keys_retired (retired_at);

-- A class's keypoint template: {"names": [...], "edges": [[a, b], ...]} (JSON), or NULL.
ALTER TABLE label_classes ADD COLUMN keypoints TEXT;

-- The next id to hand out per table. The editor reserves ids before it writes (a step names the rows it creates,
-- and a redone create gets its id back), and every insert into these tables takes its id from here, so an id once
-- handed out is never given to another row. Reservations also start above max(id), for rows written by other tools.
CREATE TABLE id_counters (
  name TEXT PRIMARY KEY CHECK (name IN ('annotations', 'label_classes')),
  next INTEGER NOT NULL
) STRICT;
INSERT INTO id_counters (name, next) VALUES
  ('annotations', coalesce((SELECT max(id) FROM annotations), 0) + 1),
  ('label_classes', coalesce((SELECT max(id) FROM label_classes), 0) + 1);
