// Reads a Parquet file with DuckDB (@duckdb/node-api) and prints its columns and rows as JSON:
// {"columns":[{"name":..,"type":..}],"rows":[[text or null, ...], ...]}, every value cast to
// VARCHAR by DuckDB, timestamps in UTC. Used by idemload's Parquet writer test as an
// independent reader.   usage: node read_parquet.js FILE.parquet
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const path = process.argv[2];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  await connection.run('SET threads = 1');
  const quoted = "'" + path.replace(/'/g, "''") + "'";
  const describe = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoted})`);
  const columns = describe.getRowsJS().map((row) => ({ name: row[0], type: row[1] }));
  const list = columns.map((c) => `CAST("${c.name.replace(/"/g, '""')}" AS VARCHAR)`).join(', ');
  const result = await connection.runAndReadAll(`SELECT ${list} FROM read_parquet(${quoted})`);
  const rows = result.getRowsJS();
  process.stdout.write(JSON.stringify({ columns, rows }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
