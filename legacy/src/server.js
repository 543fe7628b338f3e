'use strict';

// Start the HTTP server; SIGTERM/SIGINT drain in-flight requests, close the pool and exit 0.

const { createApp } = require('./app');
const { loadConfig } = require('./config');
const { connect } = require('./db');

const SHUTDOWN_GRACE_MS = 10000;

function main() {
  const config = loadConfig();
  const db = connect(config.databaseUrl);
  const app = createApp({ config, db });
  const server = app.listen(config.port, config.host, (err) => {
    if (err) throw err;
    console.log(`legacy listening on http://${config.host}:${config.port}`);
  });

  let stopping = false;
  function shutdown(signal) {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, shutting down`);
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      await db.destroy();
      process.exit(0);
    });
    server.closeIdleConnections();
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main();
