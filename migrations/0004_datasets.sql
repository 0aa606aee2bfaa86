-- Sightline project schema, version 4: dataset interchange (issue 8).
-- Never edit this file once landed: add 0005_....sql instead.

-- The COCO ids of images and categories a COCO import brought in, so a COCO results file made against that
-- dataset (its image_id and category_id) can be imported later, and an export gives categories their ids back.
-- A later import of another COCO file replaces the entries it names.
CREATE TABLE coco_ids (
  kind     TEXT NOT NULL CHECK (kind IN ('image', 'category')),
  coco_id  INTEGER NOT NULL,
  local_id INTEGER NOT NULL,
  PRIMARY KEY (kind, coco_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX coco_ids_local ON coco_ids (kind, local_id);
