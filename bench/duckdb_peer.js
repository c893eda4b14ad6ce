// DuckDB as the benchmark's peer (bench/run.sh): the same work as idemload on the same files,
// timed inside one process, printed as one JSON line. Needs @duckdb/node-api from
// tests/node/node_modules (scripts/test-node-deps.sh installs it).
//
//   node bench/duckdb_peer.js ops  STAGING.parquet PRESENT.parquet THREADS
//       de-duplicate staging on (ip,date,time) and anti-join it against present's keys, both
//       tables already in memory; seconds for that step only.
//   node bench/duckdb_peer.js scan FILE.parquet THREADS
//       read every column of every row of FILE.
//   node bench/duckdb_peer.js load STAGING.parquet PRESENT.parquet THREADS DB_FILE
//       the whole course load in a DuckDB database file: a table with PRIMARY KEY (ip,date,time)
//       holding present's rows, then the de-duplicated staging rows it lacks inserted; also the
//       process's peak memory (maxRSS).
'use strict';

const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, '..', 'tests', 'node', 'node_modules', '@duckdb', 'node-api'));

const kColumns = ['ip', 'date', 'time', 'zone', 'cik', 'accession', 'extention', 'code', 'size', 'idx', 'norefer',
  'noagent', 'find', 'crawler', 'browser'];

function quoteLiteral(text) { return `'${text.replace(/'/g, "''")}'`; }

async function timed(connection, sql) {
  const start = process.hrtime.bigint();
  const reader = await connection.runAndReadAll(sql);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, rows: reader.getRowsJS() };
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const threads = mode === 'scan' ? args[1] : args[2];
  const dbFile = mode === 'load' ? args[3] : ':memory:';
  const instance = await DuckDBInstance.create(dbFile, { threads: String(threads || 1) });
  const connection = await instance.connect();
  const result = { peer: 'duckdb', mode, threads: Number(threads || 1) };

  if (mode === 'ops') {
    const [staging, present] = args;
    await connection.run(`CREATE TABLE staging AS SELECT * FROM read_parquet(${quoteLiteral(staging)})`);
    await connection.run(`CREATE TABLE present AS SELECT ip, date, time FROM read_parquet(${quoteLiteral(present)})`);
    const run = await timed(connection, `CREATE TABLE missing AS
        SELECT * FROM (SELECT DISTINCT ON (ip, date, time) * FROM staging) s
        WHERE NOT EXISTS (SELECT 1 FROM present p WHERE p.ip = s.ip AND p.date = s.date AND p.time = s.time)`);
    const count = await timed(connection, 'SELECT count(*) FROM missing');
    result.seconds = run.seconds;
    result.rows_out = Number(count.rows[0][0]);
  } else if (mode === 'scan') {
    const [file] = args;
    // An aggregate over every column forces DuckDB to decode every value (count(*) alone would
    // be answered from the footer).
    const run = await timed(connection, `SELECT count(*), ${kColumns.map((c) => `max(${c})`).join(', ')}
        FROM read_parquet(${quoteLiteral(file)})`);
    result.seconds = run.seconds;
    result.rows = Number(run.rows[0][0]);
  } else if (mode === 'load') {
    const [staging, present] = args;
    const start = process.hrtime.bigint();
    await connection.run(`CREATE TABLE edgar AS SELECT * FROM read_parquet(${quoteLiteral(present)}) LIMIT 0`);
    await connection.run('ALTER TABLE edgar ADD PRIMARY KEY (ip, date, time)');
    await connection.run(`INSERT INTO edgar SELECT * FROM read_parquet(${quoteLiteral(present)})`);
    const setup = Number(process.hrtime.bigint() - start) / 1e9;
    const run = await timed(connection, `INSERT INTO edgar
        SELECT * FROM (SELECT DISTINCT ON (ip, date, time) * FROM read_parquet(${quoteLiteral(staging)})) s
        WHERE NOT EXISTS (SELECT 1 FROM edgar t WHERE t.ip = s.ip AND t.date = s.date AND t.time = s.time)`);
    await connection.run('CHECKPOINT');
    const count = await timed(connection, 'SELECT count(*) FROM edgar');
    result.setup_seconds = setup;
    result.seconds = run.seconds;
    result.rows_after = Number(count.rows[0][0]);
  } else {
    throw new Error(`unknown mode '${mode}' (ops, scan or load)`);
  }
  result.max_rss_kb = process.resourceUsage().maxRSS;
  connection.closeSync();
  instance.closeSync();
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(`duckdb_peer: ${error.message}`);
  process.exit(1);
});
