'use strict';

// Run legacy under Node's cluster module: WORKERS processes sharing one port, so legacy gets
// as many processes as gunicorn gives the backend. SIGTERM/SIGINT stop every worker.

const cluster = require('node:cluster');
const path = require('node:path');

const workers = Number(process.env.WORKERS || 2);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers).length === 0) process.exit(0);
  });
} else {
  require(path.join(__dirname, '..', '..', '..', 'legacy', 'src', 'server.js'));
}
