-- Sightline project schema, version 6: two-phase import (issue 12).
-- Never edit this file once landed: add 0007_....sql instead.

-- How much of an image's file has been read. An import lists a row per image file from the folder listing and stat
-- alone (path, size, mtime), so the grid shows a big folder at once; headers and content hashes are read after, in the
-- background, the images on screen first.
--   0  listed only: width and height 0, format from the file's extension, content_hash ''
--   1  header read (width, height, orientation, format), content hash not yet
--   2  fully indexed (every row from before this version)
-- Anything that needs an image's size reads it first (electron/core/library/indexer.ts: ensureIndexed).
ALTER TABLE images ADD COLUMN indexed INTEGER NOT NULL DEFAULT 2 CHECK (indexed IN (0, 1, 2));

-- The rows still to read, in path order, without a scan of the table.
CREATE INDEX images_pending ON images (root_id, rel_path) WHERE indexed < 2;

-- A moved file is re-linked by its content hash to a row whose file is missing: a lookup among the missing rows only,
-- so a folder of 10,000 identical files does not walk every duplicate for each one.
CREATE INDEX images_missing_hash ON images (content_hash) WHERE missing = 1;
