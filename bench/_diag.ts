import Database from 'better-sqlite3';
const db = new Database(process.argv[2], { readonly: process.argv[3] === 'ro' });
const COLS = `i.id, i.root_id, i.rel_path, i.width, i.height, i.orientation, i.format, i.byte_size, i.mtime_ms,
  i.content_hash, i.status, i.missing, i.added_at, (SELECT count(*) FROM annotations a WHERE a.image_id = i.id) AS annotation_count`;
for (let k = 0; k < 3; k++) {
  let t = performance.now();
  db.prepare(`SELECT ${COLS} FROM images i WHERE i.status IN (?) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`).all('new');
  const a = performance.now() - t; t = performance.now();
  db.prepare(`SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = i.id)`).all();
  console.log(a.toFixed(1), (performance.now() - t).toFixed(1));
}
console.log(db.prepare(`EXPLAIN QUERY PLAN SELECT ${COLS} FROM images i WHERE i.status IN (?) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`).all('new').map((r: any) => r.detail));
