'use strict';

const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEV_SECRET = 'dev-only-secret';

function loadConfig(env = process.env) {
  const jwtSecret = env.JWT_SECRET || DEV_SECRET;
  if (env.NODE_ENV === 'production' && jwtSecret === DEV_SECRET) {
    throw new Error('JWT_SECRET must be set when NODE_ENV=production');
  }
  const ttl = Number(env.JWT_TTL_SECONDS || 2592000);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new Error(`JWT_TTL_SECONDS must be a positive integer, got ${env.JWT_TTL_SECONDS}`);
  }
  return {
    port: Number(env.PORT || 3000),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || `sqlite:///${path.join(REPO_ROOT, 'instance', 'strangler.db')}`,
    jwtSecret,
    jwtTtlSeconds: ttl,
  };
}

module.exports = { loadConfig };
