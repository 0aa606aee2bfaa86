import Database from 'better-sqlite3';
const db = new Database('/tmp/sightline-bench-cache/bigproject-g1-s1-i1000000-a10000000.sightline', { readonly: true });
const q = (sql: string, ...p: unknown[]) => {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...p).map((r: any) => r.detail).join(' | ');
  const t = performance.now(); const r = db.prepare(sql).all(...p); const ms = performance.now() - t;
  console.log(`${ms.toFixed(1)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 200)} ${JSON.stringify(p)}\n    PLAN: ${plan}\n    -> ${r.length} ${JSON.stringify(r).slice(0, 80)}`);
};
const COLS = `i.id, (SELECT count(*) FROM annotations a WHERE a.image_id = i.id) AS annotation_count`;
for (const st of [['new'], ['done'], ['new', 'done']]) {
  const marks = st.map(() => '?').join(',');
  q(`SELECT ${COLS} FROM images i WHERE i.status IN (${marks}) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`, ...st);
  q(`SELECT ${COLS} FROM (SELECT i.id FROM images i WHERE i.status IN (${marks}) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0) i`, ...st);
  q(`SELECT ${COLS} FROM images i WHERE +i.status IN (${marks}) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`, ...st);
}
q(`SELECT ${COLS} FROM images i WHERE +i.status IN (?) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`, 'review');
q(`SELECT ${COLS} FROM images i WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = i.id) ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`);
q(`SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = i.id)`);
q(`SELECT ${COLS} FROM images i WHERE i.rel_path LIKE ? ESCAPE '\\' ORDER BY i.root_id ASC, i.rel_path ASC LIMIT 200 OFFSET 0`, '%frame_00042%');
q(`SELECT count(*) FROM images i WHERE i.rel_path LIKE ? ESCAPE '\\'`, '%frame_00042%');
q(`SELECT ${COLS} FROM images i ORDER BY i.mtime_ms ASC, i.id ASC LIMIT 200 OFFSET 0`);
q(`SELECT ${COLS} FROM images i ORDER BY i.status ASC, i.id ASC LIMIT 200 OFFSET 0`);
q(`SELECT count(*) AS n FROM images WHERE missing = 1`);
