'use strict';

// One knex instance for PostgreSQL (pg) or SQLite (better-sqlite3), chosen by DATABASE_URL.
// The few places where the two dialects differ are answered here, nowhere else.

const knex = require('knex');

function connectionFor(url) {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { client: 'pg', connection: url, pool: { min: 0, max: 10 } };
  }
  if (url.startsWith('sqlite:///')) {
    // SQLAlchemy's forms: sqlite:///relative/path and sqlite:////absolute/path.
    const filename = url.slice('sqlite:///'.length).split('?')[0];
    if (!filename) throw new Error('DATABASE_URL sqlite:/// needs a file path');
    return {
      client: 'better-sqlite3',
      connection: { filename, options: { timeout: 5000 } },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn, done) {
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('journal_mode = WAL');
          done(null, conn);
        },
      },
    };
  }
  throw new Error(`DATABASE_URL ${url} is not supported: use postgresql://... or sqlite:///path`);
}

function connect(url) {
  const db = knex(connectionFor(url));
  const sqlite = db.client.config.client === 'better-sqlite3';

  // Timestamps: timestamptz on PostgreSQL; SQLAlchemy's UTC text on SQLite.
  db.timestamp = (date) => (sqlite ? date.toISOString().replace('T', ' ').replace('Z', '000') : date);

  db.instant = (value) => {
    if (value instanceof Date) return value;
    const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/.exec(value);
    if (!m) throw new Error(`unreadable timestamp ${value}`);
    const ms = Number((m[7] || '0').padEnd(3, '0').slice(0, 3));
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms));
  };

  // Code-point order for names, whatever the database's collation.
  db.byCodePoint = (column) => (sqlite ? column : `${column} COLLATE "C"`);

  // The column a unique-constraint violation is about, or null for any other error.
  db.uniqueViolation = (err) => {
    if (err.code === '23505') return (/^uq_\w+?_(\w+)$/.exec(err.constraint || '') || [])[1] || '';
    if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return (/\.(\w+)$/.exec(err.message) || [])[1] || '';
    }
    return null;
  };

  return db;
}

module.exports = { connect };
