-- Sightline project schema, version 3: which file on disk an image row is.
-- Never edit this file once landed: add 0004_....sql instead.

-- "device:inode" of the file the scan read (from stat with bigint numbers, so large inode numbers stay exact).
-- Image bytes are served only from an open file whose device, inode, size and mtime equal the row's: a file
-- swapped for a symlink, a hard link or another file since the scan is refused ("changed on disk: rescan").
-- NULL for rows scanned before this version: the next rescan fills it in.
ALTER TABLE images ADD COLUMN file_id TEXT;

-- 1 when the folder was imported with "follow links out of the folder": its directory and file symlinks that lead
-- outside it were followed on purpose, so the image server does not refuse files whose real path is outside.
ALTER TABLE image_roots ADD COLUMN follow_links INTEGER NOT NULL DEFAULT 0 CHECK (follow_links IN (0, 1));
